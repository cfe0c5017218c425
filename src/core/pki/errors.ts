import { defineErrors } from '../errors/index.js';

export const pkiErrors = defineErrors({
  KEDGE_PKI_BAD_KEY:
    'The private key file must hold one EC (P-256/384/521) or RSA key in PEM (e.g. `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`).',
  KEDGE_PKI_BAD_CERT: 'The certificate file must hold one X.509 certificate in PEM.',
});
