import { chromium } from 'playwright-core';
const base = process.argv[2];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu','--disable-background-networking','--disable-component-update','--disable-sync'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
page.on('pageerror', (e) => console.log('pageerror:', e.message));
await page.goto(base + '/#devices');
await page.getByTestId('device-default/ua-demo-server').click();
await page.waitForTimeout(2000);
await page.getByTestId('desired-setpoint').fill('42.5');
await page.getByTestId('set-setpoint').click();
await page.waitForTimeout(300);
await page.screenshot({ path: '/tmp/i25-shots/ua-pending.png', fullPage: true });
await page.waitForTimeout(6000);
await page.screenshot({ path: '/tmp/i25-shots/ua-after.png', fullPage: true });
await page.getByTestId('device-default/iologik-e1214-pump-house').click();
await page.waitForTimeout(2000);
await page.screenshot({ path: '/tmp/i25-shots/iologik.png', fullPage: true });
await page.goto(base + '/#yaml');
await page.getByTestId('yaml-text').fill(`apiVersion: devices.kubeedge.io/v1beta1
kind: Device
metadata:
  name: broken
spec:
  deviceModelRef: { name: no-such-model }
  nodeName: demo
  protocol:
    protocolName: modbus
    configData: { communicateMode: TCP, ip: 127.0.0.1, port: 99999, slaveID: 1 }
`);
await page.getByTestId('yaml-validate').click();
await page.waitForTimeout(2000);
await page.screenshot({ path: '/tmp/i25-shots/yaml.png', fullPage: true });
await page.goto(base + '/#browse');
await page.waitForTimeout(500);
await page.getByTestId('browse-url').fill('opc.tcp://127.0.0.1:37431');
await page.getByTestId('browse-go').click();
await page.waitForTimeout(15000);
await page.screenshot({ path: '/tmp/i25-shots/browse.png', fullPage: true });
await page.goto(base + '/#import');
await page.waitForTimeout(1000);
await page.screenshot({ path: '/tmp/i25-shots/import.png', fullPage: true });
await browser.close();
