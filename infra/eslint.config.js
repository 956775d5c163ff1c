import base from '@tripcast/eslint-config/base';

export default [
  ...base,
  {
    // Plain Node scripts that run inside the image builds (no TypeScript there).
    files: ['images/**/*.mjs'],
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
  },
];
