/**
 * The payloads of KubeEdge's push methods, byte for byte as mapper-framework's template sends
 * them (_template/mapper/data/publish/mqtt/client.go and http/client.go), so that a consumer
 * written for a KubeEdge mapper reads kedge's pushes unchanged.
 */

/** Go's `time.Unix(ms/1e3, 0).Format("2006-01-02 15:04:05")`: whole seconds, the process's local time. */
export function goLocalTime(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** MQTT: `time is <time>  <topic>: <value>` (two spaces after the time, as the template writes it). */
export function mqttPushPayload(topic: string, value: string, ms: number): string {
  return `time is ${goLocalTime(ms)}  ${topic}: ${value}`;
}

/**
 * HTTP: the form body `<property>=<value>&time=<time>`. KubeEdge writes it unescaped; kedge
 * escapes what a form body cannot hold as it is (`&`, `=`, `+`, `%`, controls), which a form
 * decoder reads back to the same text, and leaves the time's space and colons as KubeEdge sends them.
 */
export function httpPushBody(property: string, value: string, ms: number): string {
  return `${formPart(property)}=${formPart(value)}&time=${goLocalTime(ms)}`;
}

function formPart(text: string): string {
  let out = '';
  for (const c of text)
    out += c < ' ' || '%&=+'.includes(c) ? `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : c;
  return out;
}
