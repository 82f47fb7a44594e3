/** The HTTP request keygate is about to send upstream. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body?: string;
}
