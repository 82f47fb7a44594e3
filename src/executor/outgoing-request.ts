/** The HTTP request keygate is about to send upstream. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Text, or bytes (a multipart body with a binary file part). */
  body?: string | Buffer;
}
