/** Request limits enforced before anything is proposed. */
export interface Limits {
  readonly maxKeyBytes: number;
  readonly maxValueBytes: number;
  /** Whole request message, enforced by the server before decoding. */
  readonly maxRequestBytes: number;
  /** Range page size when the request gives no limit. */
  readonly defaultPageSize: number;
  /** Largest limit a Range may ask for: bounds server memory per request. */
  readonly maxPageSize: number;
}

export const defaultLimits: Limits = {
  maxKeyBytes: 4 * 1024,
  maxValueBytes: 1024 * 1024,
  maxRequestBytes: 2 * 1024 * 1024,
  defaultPageSize: 1000,
  maxPageSize: 10_000,
};
