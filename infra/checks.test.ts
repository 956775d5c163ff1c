// Every rule in src/checks.ts, fed a deliberately bad snippet: a checker that
// stopped catching its defect would make wiring.test.ts pass vacuously.
import { describe, expect, it } from 'vitest';

import {
  findBucketProblems,
  findDatabaseProblems,
  findEventSourceMappingProblems,
  findIngressProblems,
  findPolicyProblems,
  findReferenceProblems,
  findRoleProblems,
  findScheduleProblems,
  findTfvarsProblems,
  findUndocumented,
} from './src/checks';
import type { TModuleConfig } from './src/terraform-config';
import { findReferences, parseHcl } from './src/terraform-config';

const hcl = (text: string) => parseHcl(text);

describe('findPolicyProblems', () => {
  it('catches a wildcard action, "*" on a scopable action, NotAction, a wildcard ARN and a public principal', async () => {
    const config = await hcl(`
      data "aws_iam_policy_document" "bad" {
        statement {
          actions   = ["s3:*"]
          resources = [var.bucket_arn]
        }
        statement {
          actions   = ["kinesis:PutRecord"]
          resources = ["*"]
        }
        statement {
          not_actions = ["iam:*"]
          resources   = [var.x]
        }
        statement {
          actions   = ["s3:GetObject"]
          resources = ["arn:aws:s3:::*"]
        }
        statement {
          actions   = ["sqs:SendMessage"]
          resources = [var.queue_arn]
          principals {
            type        = "*"
            identifiers = ["*"]
          }
        }
      }`);
    const problems = findPolicyProblems(config, 'bad');
    expect(problems).toEqual([
      expect.stringContaining('wildcard action "s3:*"'),
      expect.stringContaining('kinesis:PutRecord on "*"'),
      expect.stringContaining('NotAction'),
      expect.stringContaining('wildcard ARN "arn:aws:s3:::*"'),
      expect.stringContaining('any principal'),
    ]);
  });

  it('catches PassRole without a target service and RunTask without a cluster condition', async () => {
    const config = await hcl(`
      data "aws_iam_policy_document" "bad" {
        statement {
          actions   = ["iam:PassRole"]
          resources = [var.role_arn]
        }
        statement {
          actions   = ["ecs:RunTask"]
          resources = [var.task_definition_arn]
        }
      }`);
    expect(findPolicyProblems(config, 'bad')).toEqual([
      expect.stringContaining('without an iam:PassedToService condition'),
      expect.stringContaining('without an ecs:cluster condition'),
    ]);
  });

  it('catches a wildcard inside a dynamic statement', async () => {
    const config = await hcl(`
      data "aws_iam_policy_document" "bad" {
        dynamic "statement" {
          for_each = [1]
          content {
            actions   = ["secretsmanager:*"]
            resources = [var.secret_arn]
          }
        }
      }`);
    expect(findPolicyProblems(config, 'bad')).toEqual([
      expect.stringContaining('"secretsmanager:*"'),
    ]);
  });

  it('catches hand-written policy JSON and broad managed policies', async () => {
    const config = await hcl(`
      resource "aws_iam_role_policy" "inline" {
        role   = aws_iam_role.this.id
        policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "*", Resource = "*" }] })
      }
      resource "aws_iam_role" "this" {
        assume_role_policy = jsonencode({})
      }
      resource "aws_iam_role_policy_attachment" "admin" {
        role       = aws_iam_role.this.name
        policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
      }`);
    expect(findPolicyProblems(config, 'bad')).toHaveLength(3);
  });

  it('accepts a Deny with wildcards and "*" for actions AWS cannot scope', async () => {
    const config = await hcl(`
      data "aws_iam_policy_document" "ok" {
        statement {
          effect    = "Deny"
          actions   = ["s3:*"]
          resources = ["*"]
        }
        statement {
          actions   = ["ecr:GetAuthorizationToken"]
          resources = ["*"]
        }
      }`);
    expect(findPolicyProblems(config, 'ok')).toEqual([]);
  });
});

describe('findUndocumented', () => {
  it('catches a variable without description or type and an output without description', async () => {
    const config = await hcl(`
      variable "a" { type = string }
      variable "b" { description = "b" }
      output "c" { value = 1 }`);
    expect(findUndocumented(config, 'bad')).toEqual([
      'bad: variable "a" has no description',
      'bad: variable "b" has no type',
      'bad: output "c" has no description',
    ]);
  });
});

describe('findBucketProblems', () => {
  it('catches a bucket whose public access block is partial and one with no encryption', async () => {
    const config = await hcl(`
      resource "aws_s3_bucket" "open" { bucket = "open" }
      resource "aws_s3_bucket_public_access_block" "open" {
        bucket                  = aws_s3_bucket.open.id
        block_public_acls       = true
        block_public_policy     = false
        ignore_public_acls      = true
        restrict_public_buckets = true
      }
      resource "aws_s3_bucket_server_side_encryption_configuration" "open" {
        bucket = aws_s3_bucket.open.id
        rule {
          apply_server_side_encryption_by_default { sse_algorithm = "AES256" }
        }
      }`);
    expect(findBucketProblems(config, 'bad')).toEqual([
      'bad: aws_s3_bucket.open does not block all public access',
    ]);
  });

  it('catches a companion that covers a different set of buckets than the bucket resource', async () => {
    const config = await hcl(`
      resource "aws_s3_bucket" "this" {
        for_each = local.buckets
        bucket   = each.key
      }
      resource "aws_s3_bucket_public_access_block" "this" {
        for_each                = local.some_buckets
        bucket                  = aws_s3_bucket.this[each.key].id
        block_public_acls       = true
        block_public_policy     = true
        ignore_public_acls      = true
        restrict_public_buckets = true
      }`);
    expect(findBucketProblems(config, 'bad')).toEqual([
      'bad: aws_s3_bucket.this does not block all public access',
      'bad: aws_s3_bucket.this has no default encryption',
    ]);
  });
});

describe('findDatabaseProblems', () => {
  it('catches a public, unencrypted instance without backups and with a literal password', async () => {
    const config = await hcl(`
      variable "retention" {
        type    = number
        default = 0
      }
      resource "aws_db_instance" "bad" {
        storage_encrypted       = false
        publicly_accessible     = true
        backup_retention_period = var.retention
        password                = "hunter2hunter2"
      }`);
    expect(findDatabaseProblems(config, 'bad')).toEqual([
      'bad: aws_db_instance.bad is not storage_encrypted',
      'bad: aws_db_instance.bad is not explicitly private',
      'bad: aws_db_instance.bad has no (private) subnet group',
      'bad: aws_db_instance.bad keeps no automated backups',
      'bad: aws_db_instance.bad has a literal password',
    ]);
  });
});

describe('findScheduleProblems', () => {
  it('catches a daily schedule, a foreign target, a public IP and a missing DATE input', async () => {
    const config = await hcl(`
      resource "aws_scheduler_schedule" "bad" {
        schedule_expression = "cron(0 3 * * ? *)"
        target {
          arn      = var.cluster_arn
          role_arn = var.role
          ecs_parameters {
            task_definition_arn = var.some_task_definition
            network_configuration {
              subnets          = var.subnets
              assign_public_ip = true
            }
          }
          input = jsonencode({ containerOverrides = [{ name = "scorer", environment = [{ name = "DATE", value = "2021-03-01" }] }] })
        }
      }`);
    const problems = findScheduleProblems(config, 'bad');
    expect(problems).toEqual([
      expect.stringContaining('fires on cron(0 3 * * ? *)'),
      expect.stringContaining("does not target this module's ECS task (a ../ecs-task call)"),
      expect.stringContaining('public IP'),
      expect.stringContaining('previous-month input'),
      expect.stringContaining('no dead-letter queue'),
    ]);
  });
});

describe('findEventSourceMappingProblems', () => {
  it('catches a mapping without item failures, destination, bisect or bounded retries', async () => {
    const config = await hcl(`
      resource "aws_lambda_event_source_mapping" "bad" {
        event_source_arn       = var.stream_arn
        function_name          = var.fn
        maximum_retry_attempts = -1
      }`);
    expect(findEventSourceMappingProblems(config, 'bad')).toEqual([
      expect.stringContaining('does not report batch item failures'),
      expect.stringContaining('no on-failure destination'),
      expect.stringContaining('does not bisect'),
      expect.stringContaining('retries without bound'),
      expect.stringContaining('keeps failed records until they expire'),
      expect.stringContaining('no batch size'),
      expect.stringContaining('no batching window'),
    ]);
  });
});

describe('findRoleProblems', () => {
  it('catches a task sharing one role for execution and task, and a Lambda running as a foreign role', async () => {
    const config = await hcl(`
      resource "aws_ecs_task_definition" "bad" {
        execution_role_arn = var.shared_role_arn
        task_role_arn      = var.shared_role_arn
      }
      resource "aws_lambda_function" "bad" {
        role = var.some_role_arn
      }`);
    expect(findRoleProblems(config, 'bad', { isEcsTaskModule: true })).toEqual([
      'bad: aws_ecs_task_definition.bad has no execution role of its own',
      "bad: aws_ecs_task_definition.bad task role is not this component's own role",
      'bad: aws_ecs_task_definition.bad uses one role for execution and task',
      "bad: aws_lambda_function.bad role is not this component's own role",
    ]);
  });
});

describe('findRoleProblems in a component module', () => {
  it('catches a task definition declared outside ../ecs-task', async () => {
    const config = await hcl(`
      resource "aws_ecs_task_definition" "own" {
        execution_role_arn = module.execution_role.arn
        task_role_arn      = aws_iam_role.task.arn
      }
      resource "aws_iam_role" "task" {}`);
    expect(findRoleProblems(config, 'bad')).toEqual([
      'bad: aws_ecs_task_definition.own is declared outside ../ecs-task (call the module)',
    ]);
  });
});

describe('findPolicyProblems on ../ecs-task calls', () => {
  it('catches a task policy that is not an aws_iam_policy_document', async () => {
    const config = await hcl(`
      module "task" {
        source        = "../ecs-task"
        task_policies = { ok = data.aws_iam_policy_document.task.json, bad = jsonencode({ Statement = [] }) }
      }`);
    expect(findPolicyProblems(config, 'bad')).toEqual([
      'bad: module.task task policy bad is not an aws_iam_policy_document',
    ]);
  });
});

describe('findIngressProblems', () => {
  it('catches the database opened to a CIDR range, an all-protocol rule and inline ingress', async () => {
    const config = await hcl(`
      resource "aws_security_group" "database" {
        ingress {
          from_port   = 5432
          to_port     = 5432
          protocol    = "tcp"
          cidr_blocks = ["0.0.0.0/0"]
        }
      }
      resource "aws_vpc_security_group_ingress_rule" "db_world" {
        security_group_id = aws_security_group.database.id
        ip_protocol       = "-1"
        cidr_ipv4         = "0.0.0.0/0"
      }`);
    expect(findIngressProblems(config, 'bad', 'alb')).toEqual([
      expect.stringContaining('opens a private group to a CIDR range'),
      expect.stringContaining('allows every protocol'),
      expect.stringContaining('inline ingress rules'),
    ]);
  });
});

describe('findReferenceProblems', () => {
  it('catches undeclared names, unknown module arguments, missing required ones and unknown outputs', async () => {
    const child: TModuleConfig = await hcl(`
      variable "name" {
        type        = string
        description = "n"
      }
      variable "size" {
        type        = number
        description = "s"
        default     = 1
      }
      output "arn" {
        description = "a"
        value       = "x"
      }`);
    const parent = await hcl(`
      module "child" {
        source = "./child"
        sizee  = 2
      }
      resource "aws_sqs_queue" "this" {
        name = "\${var.nme}-\${local.missing}-\${module.child.url}-\${aws_kinesis_stream.gone.name}-\${data.aws_region.here.region}"
      }
      resource "aws_sqs_queue" "iterated" {
        name = "q-\${each.key}-\${count.index}"
      }`);
    const problems = findReferenceProblems({ name: 'bad', dir: '/x', config: parent }, (source) =>
      source === './child' ? child : undefined,
    );
    expect(problems.sort()).toEqual(
      [
        'bad: var.nme is not declared',
        'bad: local.missing is not declared',
        'bad: module.child.url is not an output of ./child',
        'bad: aws_kinesis_stream.gone is not declared',
        'bad: data.aws_region.here is not declared',
        'bad: module.child passes "sizee", which ./child does not declare',
        'bad: module.child does not pass required "name"',
        'bad: aws_sqs_queue.iterated uses each.* without for_each',
        'bad: aws_sqs_queue.iterated uses count.index without count',
      ].sort(),
    );
  });

  it('reads references out of jsonencode bodies but not out of comments or string literals', () => {
    const refs = findReferences(
      'jsonencode({\n # var.in_comment\n name = "var.in_literal", value = var.real, x = "${local.inner}" })',
    );
    expect(refs).toEqual([
      { kind: 'var', name: 'real' },
      { kind: 'local', name: 'inner' },
    ]);
  });
});

describe('findTfvarsProblems', () => {
  it('catches a required variable left unset and a typo in terraform.tfvars', async () => {
    const config = await hcl(`
      variable "region" {
        type        = string
        description = "r"
      }`);
    expect(findTfvarsProblems(config, { regoin: 'us-east-1' }, 'bad')).toEqual([
      'bad: terraform.tfvars does not set "region"',
      'bad: terraform.tfvars sets undeclared "regoin"',
    ]);
  });
});
