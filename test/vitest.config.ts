import { projectConfig } from '../vitest.shared.ts';

export default projectConfig('system', {
  include: ['**/*.test.ts'],
  exclude: ['**/node_modules/**', 'bench/**', 'load/**'],
});
