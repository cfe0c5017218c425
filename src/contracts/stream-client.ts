import { Type } from '@sinclair/typebox';

/**
 * A browser's event stream (the dashboard's Server-Sent Events), handed to the live feed over
 * the bus in-process: functions, so its schema only names it.
 */
export interface StreamClient {
  /** Writes text; false when the browser cannot keep up (it is then dropped). */
  write(text: string): boolean;
  end(): void;
}
export const StreamClientSchema = Type.Unsafe<StreamClient>(Type.Object({}));
export const DashboardAttachedSchema = Type.Unsafe<{ detach(): void }>(Type.Object({}));
