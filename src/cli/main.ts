import { Command, Option } from 'commander';
import type { KindOption } from '../extraction/transcript.ts';
import type { Db } from '../../db/index.ts';
import { loadConfig, type Config } from '../config/index.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import { reportFatal } from './errors.ts';

// Commands load their own modules lazily, so `claimdesk extract` starts fast and needs no services.

function setup(): { config: Config; log: Logger } {
  const config = loadConfig();
  return { config, log: createLogger(config.LOG_LEVEL) };
}

async function run(action: () => Promise<number | void>): Promise<void> {
  try {
    const code = await action();
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (err) {
    process.exitCode = reportFatal(err);
  }
}

/** Runs a command that needs the configuration and a logger (services, migrations). */
function runWithServices(body: (config: Config, log: Logger) => Promise<void>): Promise<void> {
  return run(async () => {
    const { config, log } = setup();
    await body(config, log);
  });
}

/** The process's own streams, for commands that read FILE or - and write one-line errors. */
const terminalIo = {
  stdout: (s: string) => process.stdout.write(s),
  stderr: (s: string) => process.stderr.write(s),
  readStdin: async (): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  },
};

const program = new Command()
  .name('claimdesk')
  .description('Claim-verification workflow service for newsrooms.')
  .showHelpAfterError('(run with --help for usage)')
  .configureOutput({ outputError: (str, write) => write(str.trim().split('\n')[0] + '\n') })
  .exitOverride((err) => {
    // commander's usage errors (unknown option, missing argument) are exit 2; --help and --version are 0.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

program
  .command('start')
  .description('run everything in one process: Postgres and Temporal (provisioned when not configured), migrations, worker, API; loads demo data')
  .option('--no-demo', 'skip the demo users, sources and article')
  .action((opts: { demo: boolean }) => runWithServices(async (config, log) => (await import('./serve.ts')).runStart(config, log, { demo: opts.demo })));

program
  .command('api')
  .description('run the HTTP API alone (needs TEMPORAL_ADDRESS or a server on TEMPORAL_DEV_PORT, and a database)')
  .action(() => runWithServices(async (config, log) => (await import('./serve.ts')).runApi(config, log)));

program
  .command('worker')
  .description('run the Temporal worker alone (workflows and activities)')
  .action(() => runWithServices(async (config, log) => (await import('./serve.ts')).runWorker(config, log)));

program
  .command('stack')
  .description('run the production shape of docker-compose.yml as processes: the Temporal server on PostgreSQL (built once with Go), migrations, two workers, two API processes')
  .option('--temporal-port <port>', 'frontend port of the Temporal server; it also uses the next nine ports (default 7233)')
  .option('--api-ports <ports>', 'comma-separated ports of the API processes (default 3000,3001)')
  .option('--worker-metrics-ports <ports>', 'comma-separated SDK metrics ports, one worker each (default 9464,9465)')
  .action((opts: { temporalPort?: string; apiPorts?: string; workerMetricsPorts?: string }) =>
    runWithServices(async (config, log) => (await import('./stack-command.ts')).runStack(config, log, opts)),
  );

program
  .command('migrate')
  .description('apply database migrations; exits non-zero on failure')
  .action(() => runWithServices(async (config, log) => (await import('./migrate-command.ts')).runMigrate(config, log)));

program
  .command('extract')
  .description('print the check-worthy claims found in an article (FILE, or - for stdin); needs no services')
  .argument('<file>', 'article text file, or - for stdin')
  .option('--json', 'print a JSON array (the shape in API.md)')
  .addOption(new Option('--kind <kind>', 'news, transcript (SPEAKER: turns) or auto').choices(['news', 'transcript', 'auto']).default('auto'))
  .addOption(new Option('--threshold <n>', 'check-worthiness threshold, 0..1').argParser((v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw new Error(`--threshold must be a number from 0 to 1, got "${v}"`);
    return n;
  }))
  .action((file: string, opts: { json?: boolean; threshold?: number; kind: KindOption }) =>
    run(async () => {
      const { runExtract } = await import('./extract-command.ts');
      return runExtract(file, { json: opts.json ?? false, kind: opts.kind, ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}) }, terminalIo);
    }),
  );

// Further commands (ingest, users, sources) register below.

program
  .command('ingest')
  .description('submit an article to a running claimdesk (CLAIMDESK_API_URL, CLAIMDESK_TOKEN); prints the article id and workflow')
  .argument('<file>', 'article text file, or - for stdin')
  .option('--title <title>', 'headline (default: the first non-empty line)')
  .option('--url <url>', "where the article was published (becomes the ClaimReview's appearance)")
  .option('--publisher <name>', 'who published it')
  .option('--published-at <iso>', 'when it was published (ISO 8601)')
  .option('--json', 'print the API response as JSON')
  .addOption(new Option('--kind <kind>', 'news, transcript (SPEAKER: turns) or auto').choices(['news', 'transcript', 'auto']).default('auto'))
  .action((file: string, opts: { title?: string; url?: string; publisher?: string; publishedAt?: string; json?: boolean; kind: KindOption }) =>
    run(async () => {
      const config = loadConfig();
      const { runIngest } = await import('./ingest-command.ts');
      return runIngest(file, { ...opts, apiUrl: config.CLAIMDESK_API_URL ?? `http://localhost:${config.PORT}`, token: config.CLAIMDESK_TOKEN }, terminalIo);
    }),
  );

/** Provisions Postgres, migrates, runs `fn`, and always closes and stops what it opened. */
async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const { config, log } = setup();
  const { provisionDatabase, migrate } = await import('../services/runtime.ts');
  const { pg, db } = await provisionDatabase(config, log);
  try {
    await migrate(db, log);
    return await fn(db);
  } finally {
    await db.destroy();
    await pg.stop();
  }
}
const usersIo = { stdout: (s: string) => process.stdout.write(s), stderr: (s: string) => process.stderr.write(s), readStdin: terminalIo.readStdin };
const users = program.command('users').description('manage API users and tokens (tokens are stored hashed and shown once)');
users
  .command('add')
  .description('create a user and print their API token, alone on stdout')
  .requiredOption('--name <name>', 'user name (shown as assignee and reviewer)')
  .requiredOption('--role <role>', 'fact_checker, editor or admin')
  .option('--password-stdin', 'also set a web sign-in password, read from stdin (never from argv)')
  .action((opts: { name: string; role: string; passwordStdin?: boolean }) => run(async () => withDb(async (db) => (await import('./users-command.ts')).runUsersAdd(db, opts, usersIo))));
users
  .command('set-password')
  .description("set or reset a user's web sign-in password, read from stdin; ends their open web sessions")
  .requiredOption('--name <name>', 'user name')
  .option('--password-stdin', 'read the password from stdin (required: passwords never go in argv)')
  .action((opts: { name: string; passwordStdin?: boolean }) => run(async () => withDb(async (db) => (await import('./users-command.ts')).runUsersSetPassword(db, opts, usersIo))));
users
  .command('token')
  .description('issue another token for an existing user, printed alone on stdout')
  .requiredOption('--name <name>', 'user name')
  .action((opts: { name: string }) => run(async () => withDb(async (db) => (await import('./users-command.ts')).runUsersToken(db, opts, terminalIo))));
users
  .command('revoke-token')
  .description('revoke one token (read from stdin with --token-stdin) or every token of a user (--name); revoked tokens get 401')
  .option('--token-stdin', 'read the token to revoke from stdin (tokens never go in argv)')
  // Kept only to answer with the stdin way instead of "unknown option": a token in argv is refused.
  .addOption(new Option('--token <token>', 'refused: use --token-stdin').hideHelp())
  .option('--name <name>', 'revoke all of this user\'s tokens')
  .action((opts: { token?: string; tokenStdin?: boolean; name?: string }) => run(async () => withDb(async (db) => (await import('./users-command.ts')).runUsersRevoke(db, opts, usersIo))));

program
  .command('sources')
  .description('manage the evidence library')
  .command('import')
  .description('bulk-load sources from a JSONL or CSV file; bad rows are reported with their line and skipped (exit 1 when any failed); idempotent by URL')
  .argument('<file>', '.jsonl or .csv file (format sniffed otherwise)')
  .action((file: string) =>
    run(async () => {
      const { runSourcesImport } = await import('./sources-command.ts');
      return withDb(async (db) => {
        const r = await runSourcesImport(file, { db, stdout: terminalIo.stdout, stderr: terminalIo.stderr, isTTY: process.stderr.isTTY === true });
        return r.failed > 0 ? 1 : 0;
      });
    }),
  );

await program.parseAsync(process.argv);
