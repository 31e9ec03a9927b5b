import { projectConfig } from '../../vitest.shared.ts';

export default projectConfig('delivery', { testTimeout: 60_000 });
