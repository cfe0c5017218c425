// One small uPlot chart per numeric property: the last minutes of values, drawn again when a
// point arrives. uPlot (about 50 KB, served from node_modules) draws hundreds of these cheaply.

const charts = new WeakMap();

/**
 * Draws (or updates) the sparkline inside `el` from times (ms) and values; `stepped` for values
 * that jump rather than drift (setpoints, counts, states): a ramp between two setpoints would
 * show a change that never happened.
 */
export function sparkline(el, t, v, bad, stepped) {
  const data = [t.map((x) => x / 1000), v];
  let chart = charts.get(el);
  if (chart?.root.isConnected) {
    chart.setData(data);
    el.classList.toggle('bad', Boolean(bad));
    return;
  }
  if (typeof uPlot === 'undefined' || t.length === 0) return;
  el.replaceChildren();
  chart = new uPlot(
    {
      width: 140,
      height: 32,
      pxAlign: false,
      cursor: { show: false },
      select: { show: false },
      legend: { show: false },
      scales: { x: { time: true } },
      axes: [{ show: false }, { show: false }],
      series: [
        {},
        {
          stroke: '#1f6feb',
          width: 1.5,
          fill: 'rgba(31,111,235,0.10)',
          points: { show: false },
          ...(stepped ? { paths: uPlot.paths.stepped({ align: 1 }) } : {}),
        },
      ],
    },
    data,
    el,
  );
  charts.set(el, chart);
  el.classList.toggle('bad', Boolean(bad));
}
