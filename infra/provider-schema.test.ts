// Every resource and data block in infra/ checked against the providers' own schemas
// (src/provider-schema.ts reads them from the CDKTF bindings' .jsii files; src/schema-checks.ts
// checks). This is the part of `terraform validate` that needs the provider plugins, offline.
import { beforeAll, describe, expect, it } from 'vitest';

import type { TProviderSchema } from './src/provider-schema';
import { SCHEMA_PACKAGES, loadProviderSchema } from './src/provider-schema';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { listAssignments } from './src/hcl-assignments';
import { findListAssignedBlocks, findSchemaProblems } from './src/schema-checks';
import type { TNamedModule } from './src/terraform-config';
import { loadAllModules, parseHcl } from './src/terraform-config';

let schemas: Record<string, TProviderSchema> = {};
let modules: TNamedModule[] = [];

beforeAll(async () => {
  schemas = Object.fromEntries(
    Object.keys(SCHEMA_PACKAGES).map((provider) => [provider, loadProviderSchema(provider)]),
  );
  modules = await loadAllModules();
}, 180_000);

/** The problems found in a snippet, in a stable order (hcl2json sorts keys, so compare as sets). */
async function check(hcl: string): Promise<string[]> {
  return findSchemaProblems(await parseHcl(hcl), 'snippet', schemas).sort();
}

describe('provider schemas', () => {
  it('come from the pinned provider versions, with types mapped through their documentation links', () => {
    expect(schemas.aws?.version).toBe('6.25.0');
    expect(schemas.random?.version).toMatch(/^3\./);
    // A renamed binding (S3BucketVersioningAConfig) still lands on its Terraform type.
    const versioning = schemas.aws?.resource.aws_s3_bucket_versioning;
    expect(versioning?.attributes.bucket).toEqual({ type: 'string', required: true });
    expect(versioning?.blocks.versioning_configuration?.required).toBe(true);
    expect(versioning?.blocks.versioning_configuration?.schema.attributes.status?.required).toBe(
      true,
    );
    expect(schemas.aws?.data.aws_iam_policy_document?.blocks.statement).toBeDefined();
    expect(schemas.random?.resource.random_password?.attributes.length).toEqual({
      type: 'number',
      required: true,
    });
    expect(Object.keys(schemas.aws?.resource ?? {}).length).toBeGreaterThan(1000);
  });
});

/** Every `name = ...` argument of a module's .tf files, as its source writes it. */
function readAssignments(dir: string) {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.tf'))
    .flatMap((file) => listAssignments(readFileSync(path.join(dir, file), 'utf8')));
}

describe('infra/ against the provider schemas', () => {
  it('writes every nested block as a block, never as name = [{ ... }]', () => {
    const problems = modules.flatMap((m) =>
      findListAssignedBlocks(readAssignments(m.dir), m.name, schemas),
    );
    expect(problems).toEqual([]);
    // The reader sees arguments in nested and dynamic blocks, with their block path.
    const scorer = readAssignments(modules.find((m) => m.name === 'modules/scorer')?.dir ?? '');
    expect(scorer.length).toBeGreaterThan(50);
    expect(scorer).toContainEqual(
      expect.objectContaining({
        header: ['resource', 'aws_scheduler_schedule', 'monthly'],
        path: [['target'], ['ecs_parameters'], ['network_configuration']],
        name: 'assign_public_ip',
      }),
    );
  });

  it('uses only real types, arguments and blocks, with required ones present and literals well typed', () => {
    const problems = modules.flatMap((m) => findSchemaProblems(m.config, m.name, schemas));
    expect(problems).toEqual([]);
    const checked = modules.flatMap((m) => [
      ...Object.values(m.config.resource ?? {}).flatMap((byName) => Object.values(byName)),
      ...Object.values(m.config.data ?? {}).flatMap((byName) => Object.values(byName)),
    ]);
    expect(checked.length).toBeGreaterThan(100);
  });
});

// Each kind of mistake the check exists for, so a checker that stopped finding it fails here.
describe('catches mistakes the wiring tests cannot see', () => {
  it('a misspelt argument, and one inside a nested block', async () => {
    expect(
      await check(`
        resource "aws_s3_bucket_versioning" "this" {
          bucket = "b"
          versioning_configuraton { status = "Enabled" }
        }
        resource "aws_sqs_queue" "this" {
          name                       = "q"
          visibility_timeout_second = 30
        }
        resource "aws_ecs_service" "this" {
          name = "s"
          network_configuration {
            subnets          = ["subnet-1"]
            assign_public_ips = false
          }
        }`),
    ).toEqual(
      [
        'snippet: aws_s3_bucket_versioning.this: unknown argument or block "versioning_configuraton"',
        'snippet: aws_s3_bucket_versioning.this: missing required block "versioning_configuration"',
        'snippet: aws_sqs_queue.this: unknown argument "visibility_timeout_second"',
        'snippet: aws_ecs_service.this.network_configuration[0]: unknown argument "assign_public_ips"',
      ].sort(),
    );
  });

  it('a missing required argument, at the top and in a nested block', async () => {
    expect(
      await check(`
        resource "aws_iam_role" "this" {
          name = "r"
        }
        resource "aws_s3_bucket_versioning" "this" {
          bucket = "b"
          versioning_configuration {}
        }
        resource "random_password" "this" {
          special = false
        }`),
    ).toEqual(
      [
        'snippet: aws_iam_role.this: missing required argument "assume_role_policy"',
        'snippet: aws_s3_bucket_versioning.this.versioning_configuration[0]: missing required argument "status"',
        'snippet: random_password.this: missing required argument "length"',
      ].sort(),
    );
  });

  it('a block written as an argument', async () => {
    expect(
      await check(`
        resource "aws_s3_bucket_versioning" "this" {
          bucket                   = "b"
          versioning_configuration = { status = "Enabled" }
        }
        resource "aws_ecr_repository" "this" {
          name                         = "r"
          image_scanning_configuration = var.scanning
        }`),
    ).toEqual(
      [
        'snippet: aws_s3_bucket_versioning.this: "versioning_configuration" is a block, written as an argument (use versioning_configuration { ... } or a dynamic block)',
        'snippet: aws_ecr_repository.this: "image_scanning_configuration" is a block, written as an argument (use image_scanning_configuration { ... } or a dynamic block)',
      ].sort(),
    );
  });

  it('a block written as a list of objects, which hcl2json cannot tell from a block', async () => {
    const hcl = `
      resource "aws_s3_bucket_versioning" "this" {
        bucket                   = "b"
        versioning_configuration = [{ status = "Enabled" }]
      }
      data "aws_iam_policy_document" "this" {
        dynamic "statement" {
          for_each = var.statements
          content {
            actions    = ["s3:GetObject"]
            principals = [{ type = "AWS", identifiers = ["*"] }]
          }
        }
      }`;
    // The parsed form looks right...
    expect(await check(hcl)).toEqual([]);
    // ...the source does not.
    expect(findListAssignedBlocks(listAssignments(hcl), 'snippet', schemas)).toEqual([
      'snippet: aws_s3_bucket_versioning.this: "versioning_configuration" is a block, written as an argument (line 4; use versioning_configuration { ... } or a dynamic block)',
      'snippet: data.aws_iam_policy_document.this.statement: "principals" is a block, written as an argument (line 11; use principals { ... } or a dynamic block)',
    ]);
  });

  it('a literal of the wrong type (Terraform converts numbers and bools to strings, not the reverse)', async () => {
    expect(
      await check(`
        resource "aws_sqs_queue" "this" {
          name                       = "q"
          visibility_timeout_seconds = "thirty"
          fifo_queue                 = 1
          message_retention_seconds  = "345600"
          delay_seconds              = 0
          tags                       = ["a"]
          policy                     = 5
        }
        resource "aws_security_group" "this" {
          name                   = "sg"
          revoke_rules_on_delete = "yes"
        }
        data "aws_iam_policy_document" "this" {
          statement {
            actions   = "s3:GetObject"
            resources = [var.arn, 3]
          }
        }`),
    ).toEqual(
      [
        'snippet: aws_sqs_queue.this.visibility_timeout_seconds: expects a number, got string "thirty"',
        'snippet: aws_sqs_queue.this.fifo_queue: expects a bool, got number 1',
        'snippet: aws_sqs_queue.this.tags: expects map(string), got a list',
        'snippet: aws_security_group.this.revoke_rules_on_delete: expects a bool, got string "yes"',
        'snippet: data.aws_iam_policy_document.this.statement[0].actions: expects list(string), got string "s3:GetObject"',
      ].sort(),
    );
  });

  it('an unknown type, and a dynamic block the type does not have', async () => {
    expect(
      await check(`
        resource "aws_s3_bucket_versionning" "this" { bucket = "b" }
        data "aws_iam_policy_documents" "this" {}
        resource "awsx_thing" "this" {}
        data "aws_iam_policy_document" "this" {
          dynamic "statments" {
            for_each = var.statements
            content { actions = statments.value }
          }
          dynamic "statement" {
            for_each = var.statements
            content { action = statement.value }
          }
        }`),
    ).toEqual(
      [
        'snippet: aws_s3_bucket_versionning: aws 6.25.0 has no resource type "aws_s3_bucket_versionning"',
        'snippet: awsx_thing: no schema for provider "awsx"',
        'snippet: data.aws_iam_policy_documents: aws 6.25.0 has no data type "aws_iam_policy_documents"',
        'snippet: data.aws_iam_policy_document.this: dynamic "statments" is not a block of this type',
        'snippet: data.aws_iam_policy_document.this.dynamic.statement[0].content: unknown argument "action"',
      ].sort(),
    );
  });

  it('leaves expressions, meta-arguments and lifecycle alone', async () => {
    expect(
      await check(`
        resource "aws_sqs_queue" "this" {
          count                      = var.enabled ? 1 : 0
          name                       = "\${var.name}-q"
          visibility_timeout_seconds = var.timeout
          fifo_queue                 = local.is_fifo
          depends_on                 = [aws_iam_role.this]
          lifecycle { prevent_destroy = true }
        }`),
    ).toEqual([]);
  });
});
