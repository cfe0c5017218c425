import type * as Grpc from '@grpc/grpc-js';
import type {
  Dmi,
  PbMapperRegisterRequest,
  PbMapperRegisterResponse,
  PbReportDeviceStatesRequest,
  PbReportDeviceStatusRequest,
} from '../../contracts/dmi/index.js';
import { REASON_METADATA } from '../../contracts/dmi/index.js';
import { errorText, isKedgeError } from '../../core/errors/index.js';

/** What the DeviceManagerService handlers ask of the DMI module. */
export interface DmiHost {
  register(request: PbMapperRegisterRequest): Promise<PbMapperRegisterResponse>;
  reportStatus(request: PbReportDeviceStatusRequest): void;
  reportStates(request: PbReportDeviceStatesRequest, reason: string | undefined): void;
}

/**
 * KubeEdge's DeviceManagerService on the edge's gRPC server. Errors go back as gRPC statuses
 * with the message (INVALID_ARGUMENT for a registration without protocol or socket, NOT_FOUND for
 * a device that is not on this node), so a mapper's log says what is wrong.
 */
export function serveDeviceManager(dmi: Dmi, server: Grpc.Server, host: DmiHost): void {
  const { status } = dmi.grpc;
  const fail = (err: unknown): Partial<Grpc.StatusObject> => ({
    code: !isKedgeError(err)
      ? status.INTERNAL
      : err.code === 'KEDGE_DMI_BAD_MAPPER'
        ? status.INVALID_ARGUMENT
        : err.code === 'KEDGE_DMI_UNKNOWN_DEVICE'
          ? status.NOT_FOUND
          : status.INTERNAL,
    details: isKedgeError(err) ? err.message : errorText(err),
  });
  server.addService(dmi.manager.service, {
    MapperRegister: (
      call: Grpc.ServerUnaryCall<PbMapperRegisterRequest, unknown>,
      done: Grpc.sendUnaryData<unknown>,
    ) => {
      host.register(call.request).then(
        (response) => done(null, response),
        (err: unknown) => done(fail(err)),
      );
    },
    ReportDeviceStatus: (
      call: Grpc.ServerUnaryCall<PbReportDeviceStatusRequest, unknown>,
      done: Grpc.sendUnaryData<unknown>,
    ) => {
      try {
        host.reportStatus(call.request);
        done(null, {});
      } catch (err) {
        done(fail(err));
      }
    },
    ReportDeviceStates: (
      call: Grpc.ServerUnaryCall<PbReportDeviceStatesRequest, unknown>,
      done: Grpc.sendUnaryData<unknown>,
    ) => {
      try {
        const reason = call.metadata.get(REASON_METADATA)[0];
        host.reportStates(call.request, typeof reason === 'string' && reason !== '' ? reason : undefined);
        done(null, {});
      } catch (err) {
        done(fail(err));
      }
    },
  });
}
