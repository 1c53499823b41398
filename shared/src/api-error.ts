/**
 * Every error the REST API returns has this body. `code` is stable and machine-readable,
 * `message` is for people, `details` says which field was wrong and why (validation errors).
 */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details?: ApiErrorDetail[] };
}

export interface ApiErrorDetail {
  /** Dotted path of the offending field, e.g. `labels.2`; empty for the whole body. */
  field: string;
  message: string;
}

export type ApiErrorCode =
  | 'bad_request' // malformed input: unparsable JSON, a field of the wrong shape
  | 'unauthorized' // no valid token, or wrong credentials
  | 'forbidden' // a valid token that may not do this
  | 'not_found' // the resource does not exist
  | 'method_not_allowed' // the path exists, the method does not
  | 'conflict' // the request clashes with stored state (e.g. a name already taken)
  | 'payload_too_large' // the body exceeds the limit
  | 'unsupported_media_type' // a body type the endpoint does not take
  | 'too_many_requests' // throttled; see Retry-After
  | 'unsupported_protocol' // an agent whose protocol version the master does not speak (POST /login-slave)
  | 'internal'; // a fault of ours; the message never carries internals
