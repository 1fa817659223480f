export {};
import { runIntegrationInCodeServer } from './host/integration';
runIntegrationInCodeServer().then((r) => console.log(r), (e) => { console.error(e); process.exit(1); });
