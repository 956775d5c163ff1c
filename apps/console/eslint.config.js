import base from '@tripcast/eslint-config/base';

export default [...base, { ignores: ['.next/**', 'next-env.d.ts', 'e2e/screenshots/**', 'postcss.config.mjs'] }];
