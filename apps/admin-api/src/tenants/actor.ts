/** Who performed an admin action, as written to the audit trail. */
export interface Actor {
  name: string;
  requestId?: string;
}
