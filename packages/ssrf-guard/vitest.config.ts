import { projectConfig } from '../../vitest.shared.ts';

export default projectConfig('ssrf-guard', { include: ['test/**/*.test.ts'] });
