// Entry of an extraction worker thread (src/extraction/pool.ts). A worker thread starts with a fresh module
// loader, so, like bin/claimdesk.js, it registers tsx before loading the TypeScript module that does the work.
import { register } from 'tsx/esm/api';

register();
await import('./thread-main.ts');
