// The production shape, described once: `claimdesk stack` runs it as processes on one machine, and
// docker-compose.yml runs it as containers. test/unit/stack-settings.test.ts reads the compose file and checks that
// both say the same thing, so a change to one without the other fails CI.

/** The Temporal server release; the CLI's embedded dev server (v1.5.1) is built from the same server module. */
export const TEMPORAL_SERVER_VERSION = '1.29.1';
/** The CLI release whose dev server tests and `npm start` run (it embeds the server release above). */
export const TEMPORAL_CLI_VERSION = '1.5.1';

export const STACK = {
  temporal: {
    version: TEMPORAL_SERVER_VERSION,
    /** Docker images of the same release (tags name its minor version). */
    serverImage: 'temporalio/server:1.29',
    adminToolsImage: 'temporalio/admin-tools:1.29',
    /** Go packages `claimdesk stack` builds (once) where no container runtime is assumed. */
    serverModule: `go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
    sqlToolModule: `go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
    /** The same two packages, built inside a module that also requires the CLI (its dependency versions, its build cache). */
    serverPackages: ['go.temporal.io/server/cmd/server', 'go.temporal.io/server/cmd/tools/sql'],
    cliPackage: `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`,
    dbPlugin: 'postgres12',
    /** Temporal's own two databases, on the same PostgreSQL server as claimdesk's but never the same database. */
    databases: { default: 'temporal', visibility: 'temporal_visibility' },
    /** The server's embedded schemas that `temporal-sql-tool update-schema --schema-name` applies. */
    schemas: { default: 'postgresql/v12/temporal', visibility: 'postgresql/v12/visibility' },
    numHistoryShards: 4,
    frontendPort: 7233,
    namespace: 'default',
    retentionDays: 30,
    dynamicConfig: 'deploy/temporal/dynamicconfig.yaml',
  },
  /** Environment every claimdesk process of the stack gets (besides where Postgres and Temporal are). */
  claimdeskEnv: {
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: 'claimdesk',
    LOG_LEVEL: 'info',
  },
  api: { ports: [3000, 3001] },
  /** Each worker's SDK metrics port; in compose every replica is its own container, so all use the first. */
  worker: { replicas: 2, metricsPorts: [9464, 9465] },
} as const;

export type StackSettings = typeof STACK;
