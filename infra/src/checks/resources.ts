// The resources that hold data or take traffic: buckets, the database, the monthly schedule, the stream mapping and security groups.
// Each function returns the problems it finds (an empty list = the rule holds).
import { asStrings } from './iam';
import type { TBody, TModuleConfig } from '../terraform-config';
import {
  blocks,
  collectExpressions,
  expressionOf,
  findReferences,
  first,
  listResources,
  resolveValue,
} from '../terraform-config';

// ---------------------------------------------------------------- storage

function referencesResource(value: unknown, type: string, name: string): boolean {
  return collectExpressions(value).some((expression) =>
    findReferences(expression).some(
      (ref) => ref.kind === 'resource' && ref.type === type && ref.name === name,
    ),
  );
}

/** The companion resources of `aws_s3_bucket.<name>` of one type, iterating the same way. */
function findCompanions(config: TModuleConfig, type: string, bucketName: string, bucket: TBody) {
  return listResources(config, type).filter(
    (companion) =>
      referencesResource(companion.body.bucket, 'aws_s3_bucket', bucketName) &&
      companion.body.for_each === bucket.for_each &&
      companion.body.count === bucket.count,
  );
}

const SSE_ALGORITHMS = new Set(['AES256', 'aws:kms', 'aws:kms:dsse']);

/** Every bucket blocks public access (all four settings) and is encrypted by default. */
export function findBucketProblems(config: TModuleConfig, where: string): string[] {
  const problems: string[] = [];
  for (const bucket of listResources(config, 'aws_s3_bucket')) {
    const label = `${where}: aws_s3_bucket.${bucket.name}`;

    const blocksPublic = findCompanions(
      config,
      'aws_s3_bucket_public_access_block',
      bucket.name,
      bucket.body,
    ).some(
      ({ body }) =>
        body.block_public_acls === true &&
        body.block_public_policy === true &&
        body.ignore_public_acls === true &&
        body.restrict_public_buckets === true,
    );
    if (!blocksPublic) problems.push(`${label} does not block all public access`);

    const encrypted = findCompanions(
      config,
      'aws_s3_bucket_server_side_encryption_configuration',
      bucket.name,
      bucket.body,
    ).some(({ body }) =>
      blocks(body.rule).some((rule) =>
        blocks(rule.apply_server_side_encryption_by_default).some((sse) =>
          SSE_ALGORITHMS.has(String(sse.sse_algorithm)),
        ),
      ),
    );
    if (!encrypted) problems.push(`${label} has no default encryption`);
  }
  return problems;
}

// ---------------------------------------------------------------- database

/** Every RDS instance is private, encrypted, backed up, and takes its password from no literal. */
export function findDatabaseProblems(config: TModuleConfig, where: string): string[] {
  const problems: string[] = [];
  for (const db of listResources(config, 'aws_db_instance')) {
    const label = `${where}: aws_db_instance.${db.name}`;
    if (resolveValue(config, db.body.storage_encrypted) !== true)
      problems.push(`${label} is not storage_encrypted`);
    if (resolveValue(config, db.body.publicly_accessible) !== false)
      problems.push(`${label} is not explicitly private`);
    if (!db.body.db_subnet_group_name) problems.push(`${label} has no (private) subnet group`);
    const retention = resolveValue(config, db.body.backup_retention_period);
    if (typeof retention !== 'number' || retention < 1)
      problems.push(`${label} keeps no automated backups`);
    const password = db.body.password;
    if (typeof password === 'string' && !password.includes('${'))
      problems.push(`${label} has a literal password`);
    if (password === undefined && db.body.manage_master_user_password !== true) {
      problems.push(`${label} has no managed credentials`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------- schedule

export const MONTHLY_SCHEDULE = 'cron(0 3 2 * ? *)';

/**
 * Every schedule fires monthly on the 2nd at 03:00, targets an ECS task
 * definition of this module, and hands the container DATE = the scheduled
 * time, from which the scorer's container form scores the previous month.
 */
export function findScheduleProblems(config: TModuleConfig, where: string): string[] {
  const problems: string[] = [];
  const schedules = listResources(config, 'aws_scheduler_schedule');
  if (schedules.length === 0) problems.push(`${where}: no aws_scheduler_schedule`);
  for (const schedule of schedules) {
    const label = `${where}: aws_scheduler_schedule.${schedule.name}`;
    const target = first(schedule.body.target);
    const input = typeof target?.input === 'string' ? target.input : '';
    // A schedule of the image's default command (`scorer run`) is the monthly scoring one: the
    // contract's cron and DATE input. One that overrides the command (the daily `drift` job) shares
    // only the task, network and dead-letter rules.
    const isMonthly = !/command\s*=/.test(input);
    const expression = resolveValue(config, schedule.body.schedule_expression);
    if (isMonthly && expression !== MONTHLY_SCHEDULE)
      problems.push(`${label} fires on ${String(expression)}, not ${MONTHLY_SCHEDULE}`);
    if (
      schedule.body.schedule_expression_timezone !== undefined &&
      schedule.body.schedule_expression_timezone !== 'UTC'
    ) {
      problems.push(`${label} is not in UTC`);
    }

    const ecs = first(target?.ecs_parameters);
    const taskRef = expressionOf(ecs?.task_definition_arn);
    const taskMatch = taskRef
      ? /^module\.([A-Za-z0-9_]+)\.task_definition_arn$/.exec(taskRef)
      : null;
    if (!taskMatch?.[1] || first(config.module?.[taskMatch[1]])?.source !== '../ecs-task') {
      problems.push(`${label} does not target this module's ECS task (a ../ecs-task call)`);
    }
    if (!first(ecs?.network_configuration))
      problems.push(`${label} has no awsvpc network configuration`);
    if (first(ecs?.network_configuration)?.assign_public_ip !== false)
      problems.push(`${label} may give the task a public IP`);

    if (!/containerOverrides/.test(input))
      problems.push(`${label} input does not override the container`);
    if (
      isMonthly &&
      !/name\s*=\s*"DATE"\s*,\s*value\s*=\s*"<aws\.scheduler\.scheduled-time>"/.test(input)
    ) {
      problems.push(
        `${label} input does not pass DATE = <aws.scheduler.scheduled-time> (the previous-month input)`,
      );
    }
    if (!first(target?.dead_letter_config)) problems.push(`${label} has no dead-letter queue`);
  }
  return problems;
}

// ------------------------------------------------------ event source mapping

/** Every Kinesis mapping reports per-record failures, bisects, retries a bounded number of times and has a destination. */
export function findEventSourceMappingProblems(config: TModuleConfig, where: string): string[] {
  const problems: string[] = [];
  const mappings = listResources(config, 'aws_lambda_event_source_mapping');
  if (mappings.length === 0) problems.push(`${where}: no aws_lambda_event_source_mapping`);
  for (const mapping of mappings) {
    const label = `${where}: aws_lambda_event_source_mapping.${mapping.name}`;
    const body = mapping.body;
    if (!asStrings(body.function_response_types).includes('ReportBatchItemFailures')) {
      problems.push(`${label} does not report batch item failures`);
    }
    const onFailure = first(first(body.destination_config)?.on_failure);
    if (!onFailure?.destination_arn) problems.push(`${label} has no on-failure destination`);
    if (body.bisect_batch_on_function_error !== true)
      problems.push(`${label} does not bisect a failing batch`);
    const retries = resolveValue(config, body.maximum_retry_attempts);
    if (typeof retries !== 'number' || retries < 0) problems.push(`${label} retries without bound`);
    const age = resolveValue(config, body.maximum_record_age_in_seconds);
    if (typeof age !== 'number' || age < 0)
      problems.push(`${label} keeps failed records until they expire`);
    if (body.batch_size === undefined) problems.push(`${label} has no batch size`);
    if (body.maximum_batching_window_in_seconds === undefined)
      problems.push(`${label} has no batching window`);
  }
  return problems;
}

// -------------------------------------------------------- security groups

/** Only the load balancer's group takes traffic from CIDR ranges; every other ingress names a security group. */
export function findIngressProblems(
  config: TModuleConfig,
  where: string,
  publicGroup: string,
): string[] {
  const problems: string[] = [];
  for (const rule of listResources(config, 'aws_vpc_security_group_ingress_rule')) {
    const label = `${where}: aws_vpc_security_group_ingress_rule.${rule.name}`;
    const group = expressionOf(rule.body.security_group_id) ?? '';
    const fromCidr = rule.body.cidr_ipv4 !== undefined || rule.body.cidr_ipv6 !== undefined;
    if (fromCidr && group !== `aws_security_group.${publicGroup}.id`)
      problems.push(`${label} opens a private group to a CIDR range`);
    if (!fromCidr && rule.body.referenced_security_group_id === undefined)
      problems.push(`${label} names no source`);
    if (rule.body.ip_protocol === '-1') problems.push(`${label} allows every protocol`);
  }
  for (const group of listResources(config, 'aws_security_group')) {
    if (group.body.ingress !== undefined)
      problems.push(`${where}: aws_security_group.${group.name} has inline ingress rules`);
  }
  return problems;
}
