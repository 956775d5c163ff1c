import base from '@tripcast/eslint-config/base';

export default [...base];
