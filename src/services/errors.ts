export type ServiceErrorCode =
  | 'postgres_unreachable'
  | 'temporal_unreachable'
  | 'temporal_missing'
  | 'temporal_tls_files'
  | 'temporal_search_attributes'
  | 'temporal_build_failed'
  | 'port_in_use'
  | 'embedded_postgres_failed'
  | 'temporal_schema_failed'
  | 'migration_failed'
  | 'stack_failed'
  | 'bad_option';

/** A failure to provision a dependency, worded for the person starting claimdesk: printed as one line, no stack. */
export class ServiceError extends Error {
  constructor(readonly code: ServiceErrorCode, message: string) {
    super(message);
    this.name = 'ServiceError';
  }
}
