import { defineErrors } from '../../core/errors/index.js';

export const dmiErrors = defineErrors({
  KEDGE_DMI_LISTEN:
    'kedge edge could not serve its DMI socket; check the folder exists and is writable, or choose another with --dmi-socket.',
  KEDGE_DMI_BAD_MAPPER:
    'A mapper registering over DMI must name its protocol and the unix socket it serves (MapperInfo.protocol, .address).',
  KEDGE_DMI_UNKNOWN_DEVICE: {
    status: 404,
    hint: 'The device is not on this node; apply it first (kedge apply -f device.yaml).',
  },
  KEDGE_DMI_MAPPER_UNREACHABLE: {
    status: 502,
    hint: "The mapper's DMI socket does not answer; check that the mapper runs and serves the address it registered.",
  },
});
