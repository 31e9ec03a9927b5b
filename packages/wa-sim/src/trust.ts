// Start-up hook: `node --import @whatisup/wa-sim/trust` makes this Baileys process trust a simulator, but only when
// WA_SIM_ROOT_PUBLIC_KEY is set, and never under NODE_ENV=production unless WA_SIM_ALLOW_PRODUCTION=true (README).
import { trustOptionsFromEnv, trustSimulator } from './trust-config.ts';

export {
  ENV_ALLOW_PRODUCTION,
  ENV_CA_FILE,
  ENV_CA_PEM,
  ENV_ROOT_PUBLIC_KEY,
  type TrustOptions,
  trustOptionsFromEnv,
  trustSimulator,
} from './trust-config.ts';

const fromEnv = trustOptionsFromEnv(process.env);
if (fromEnv) trustSimulator(fromEnv);
