import { apiErrors } from '../../contracts/index.js';
import { assertImportable, checkCsvImport, importRequest, importSummary, type Device } from '../../model/index.js';
import type { ObjectStore } from '../store/index.js';
import { applyDocuments } from './apply.js';

/** `POST /api/v1/import/devices`: one Device per CSV row, copies of a template Device; all or nothing. */
export async function importDevices(store: ObjectStore, body: unknown) {
  const req = importRequest(body);
  const [ns, name] = req.template.split('/') as [string, string];
  const template = await store.get('Device', ns, name);
  if (!template) throw apiErrors.create('KEDGE_API_NOT_FOUND', `template Device ${req.template} does not exist`);
  const models = (await store.list('DeviceModel')).items;
  const { devices, problems } = await checkCsvImport(req.csv, template as unknown as Device, models, req.file);
  assertImportable(problems);
  const summary = importSummary(devices, problems);
  if (req.dryRun) return { ...summary, applied: [] };
  return { ...summary, applied: (await applyDocuments(store, { documents: devices })).applied };
}
