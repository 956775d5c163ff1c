// `terraform fmt -check -recursive` with the real Terraform binary (no registry needed).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { INFRA_DIR } from './src/terraform-config';

const TERRAFORM = process.env.TERRAFORM_BIN ?? '/usr/local/bin/terraform';
const hasTerraform = existsSync(TERRAFORM);
const env = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1' };

if (!hasTerraform)
  console.warn(`[infra] skipping terraform fmt: no binary at ${TERRAFORM} (set TERRAFORM_BIN)`);

describe.skipIf(!hasTerraform)('terraform fmt', () => {
  it('finds every .tf and .tfvars file already formatted', () => {
    const result = spawnSync(TERRAFORM, ['fmt', '-check', '-recursive', '-list=true'], {
      cwd: INFRA_DIR,
      env,
      encoding: 'utf8',
    });
    expect(result.stdout.trim(), 'files terraform fmt would rewrite').toBe('');
    expect(result.status).toBe(0);
  });

  it('would catch a badly formatted file (the check can fail)', () => {
    const bad = 'variable "x" {\n description="x"\n      type = string\n}\n';
    const result = spawnSync(TERRAFORM, ['fmt', '-check', '-'], {
      input: bad,
      env,
      encoding: 'utf8',
    });
    expect(result.status).not.toBe(0);
  });

  it('is a Terraform >= 1.5', () => {
    const version = execFileSync(TERRAFORM, ['version', '-json'], { env, encoding: 'utf8' });
    const [major = 0, minor = 0] = String(
      (JSON.parse(version) as { terraform_version: string }).terraform_version,
    )
      .split('.')
      .map(Number);
    expect(major > 1 || (major === 1 && minor >= 5)).toBe(true);
  });
});
