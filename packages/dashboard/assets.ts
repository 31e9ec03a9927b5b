// Where the built dashboard lives, for the gateway that serves it.
import { fileURLToPath } from 'node:url';

export const dashboardDistDir = fileURLToPath(new URL('./dist/', import.meta.url));
