// The rules the Terraform configuration must keep, as functions that return
// the problems they find (an empty list = the rule holds). The tests run them
// over infra/ and also feed them deliberately bad snippets, so a checker that
// stopped finding anything would fail its own test.
import type { TBody, TModuleConfig, TNamedModule } from './terraform-config';
import {
  blocks,
  collectExpressions,
  expressionOf,
  findReferences,
  first,
  getVariable,
  listLocals,
  listResources,
  resolveValue,
  stripExpressionComments,
} from './terraform-config';

// ------------------------------------------------------------------- IAM

/**
 * Actions AWS does not let a policy scope to a resource, so `"*"` is the only
 * valid resource for them. Anything else must name its ARN.
 * - ecr:GetAuthorizationToken: account-wide token (ECR docs, "resource-level permissions").
 * - ec2 ENI actions: what a VPC Lambda needs (the set of AWSLambdaVPCAccessExecutionRole).
 */
export const UNSCOPABLE_ACTIONS = new Set([
  'ecr:GetAuthorizationToken',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
]);

type TStatement = TBody & {
  sid?: string;
  effect?: string;
  actions?: unknown;
  not_actions?: unknown;
  resources?: unknown;
};

function listStatements(document: TBody): TStatement[] {
  const statements = blocks(document.statement) as TStatement[];
  // hcl2json gives `dynamic` as an object keyed by block type.
  const dynamicBlocks = document.dynamic as Record<string, unknown> | undefined;
  for (const dynamic of blocks(dynamicBlocks?.statement)) {
    statements.push(...(blocks(dynamic.content) as TStatement[]));
  }
  return statements;
}

function asStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Problems with the IAM policies a module declares: wildcards, inline JSON, broad managed policies. */
export function findPolicyProblems(config: TModuleConfig, where: string): string[] {
  const problems: string[] = [];

  for (const [name, bodies] of Object.entries(config.data?.aws_iam_policy_document ?? {})) {
    for (const document of bodies) {
      listStatements(document).forEach((statement, index) => {
        const label = `${where}: data.aws_iam_policy_document.${name} statement ${statement.sid ?? index}`;
        // A Deny with wildcards only restricts (e.g. the buckets' TLS-only statement).
        if (statement.effect === 'Deny') return;
        if (statement.not_actions !== undefined) problems.push(`${label} allows NotAction`);
        if (statement.not_resources !== undefined) problems.push(`${label} allows NotResource`);

        const actions = asStrings(statement.actions);
        if (actions.length === 0 && statement.not_actions === undefined)
          problems.push(`${label} has no actions`);
        for (const action of actions) {
          if (action.includes('*')) problems.push(`${label} grants wildcard action "${action}"`);
        }

        for (const resource of asStrings(statement.resources)) {
          if (resource === '*') {
            const scopable = actions.filter((action) => !UNSCOPABLE_ACTIONS.has(action));
            if (scopable.length > 0)
              problems.push(`${label} grants ${scopable.join(', ')} on "*" where an ARN is known`);
          } else if (!resource.includes('${') && resource.includes('*')) {
            problems.push(`${label} grants a hand-written wildcard ARN "${resource}"`);
          }
        }

        // A role that may be passed must say to which service (a passed role is a privilege escalation path).
        const conditions = blocks(statement.condition);
        if (
          actions.includes('iam:PassRole') &&
          !conditions.some((c) => c.variable === 'iam:PassedToService')
        ) {
          problems.push(`${label} passes roles without an iam:PassedToService condition`);
        }
        if (
          actions.includes('ecs:RunTask') &&
          !conditions.some((c) => c.variable === 'ecs:cluster')
        ) {
          problems.push(`${label} runs tasks without an ecs:cluster condition`);
        }

        for (const principal of blocks(statement.principals)) {
          if (asStrings(principal.identifiers).includes('*'))
            problems.push(`${label} allows any principal`);
        }
      });
    }
  }

  // Policies come from aws_iam_policy_document, never hand-written JSON.
  const isPolicyDocumentJson = (expression: string | undefined) =>
    expression !== undefined &&
    /^data\.aws_iam_policy_document\.[A-Za-z0-9_]+(\[[^\]]+\])?\.json$/.test(expression);
  for (const type of ['aws_iam_role_policy', 'aws_iam_policy']) {
    for (const resource of listResources(config, type)) {
      const expression = expressionOf(resource.body.policy);
      // ../ecs-task attaches its caller's documents; the calls are checked below.
      const isCallersDocument =
        resource.body.for_each === '${var.task_policies}' && expression === 'each.value';
      if (!isPolicyDocumentJson(expression) && !isCallersDocument) {
        problems.push(
          `${where}: ${type}.${resource.name} policy is not an aws_iam_policy_document`,
        );
      }
    }
  }
  for (const [call, bodies] of Object.entries(config.module ?? {})) {
    for (const body of bodies) {
      if (body.source !== '../ecs-task') continue;
      const policies = (body.task_policies ?? {}) as TBody;
      for (const [name, value] of Object.entries(policies)) {
        if (!isPolicyDocumentJson(expressionOf(value))) {
          problems.push(
            `${where}: module.${call} task policy ${name} is not an aws_iam_policy_document`,
          );
        }
      }
    }
  }
  for (const resource of listResources(config, 'aws_iam_role')) {
    const expression = expressionOf(resource.body.assume_role_policy);
    if (!expression?.startsWith('data.aws_iam_policy_document.')) {
      problems.push(
        `${where}: aws_iam_role.${resource.name} trust policy is not an aws_iam_policy_document`,
      );
    }
  }

  for (const type of ['aws_iam_role_policy_attachment', 'aws_iam_policy_attachment']) {
    for (const resource of listResources(config, type)) {
      const arn = typeof resource.body.policy_arn === 'string' ? resource.body.policy_arn : '';
      if (/:policy\/(AdministratorAccess|PowerUserAccess|.*FullAccess)$/.test(arn)) {
        problems.push(
          `${where}: ${type}.${resource.name} attaches the broad managed policy ${arn}`,
        );
      }
    }
  }

  return problems;
}

// ------------------------------------------------------- documentation

export function findUndocumented(config: TModuleConfig, where: string): string[] {
  const problems: string[] = [];
  for (const [name, bodies] of Object.entries(config.variable ?? {})) {
    const body = bodies[0] ?? {};
    if (typeof body.description !== 'string' || body.description.trim() === '') {
      problems.push(`${where}: variable "${name}" has no description`);
    }
    if (body.type === undefined) problems.push(`${where}: variable "${name}" has no type`);
  }
  for (const [name, bodies] of Object.entries(config.output ?? {})) {
    const body = bodies[0] ?? {};
    if (typeof body.description !== 'string' || body.description.trim() === '') {
      problems.push(`${where}: output "${name}" has no description`);
    }
  }
  return problems;
}

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
    const expression = resolveValue(config, schedule.body.schedule_expression);
    if (expression !== MONTHLY_SCHEDULE)
      problems.push(`${label} fires on ${String(expression)}, not ${MONTHLY_SCHEDULE}`);
    if (
      schedule.body.schedule_expression_timezone !== undefined &&
      schedule.body.schedule_expression_timezone !== 'UTC'
    ) {
      problems.push(`${label} is not in UTC`);
    }

    const target = first(schedule.body.target);
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

    const input = typeof target?.input === 'string' ? target.input : '';
    if (!/containerOverrides/.test(input))
      problems.push(`${label} input does not override the container`);
    if (!/name\s*=\s*"DATE"\s*,\s*value\s*=\s*"<aws\.scheduler\.scheduled-time>"/.test(input)) {
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

// ----------------------------------------------------------------- roles

/**
 * In a component module: ECS tasks come from ../ecs-task (no task definition of
 * its own), and a Lambda runs as this module's own role. In ../ecs-task itself:
 * the task definition has an execution role separate from its task role, and
 * the task role is the module's own aws_iam_role.
 */
export function findRoleProblems(
  config: TModuleConfig,
  where: string,
  { isEcsTaskModule = false }: { isEcsTaskModule?: boolean } = {},
): string[] {
  const problems: string[] = [];
  const ownRoles = new Set(Object.keys(config.resource?.aws_iam_role ?? {}));
  const isOwnRole = (value: unknown) => {
    const match = /^aws_iam_role\.([A-Za-z0-9_]+)(\[[^\]]+\])?\.arn$/.exec(
      expressionOf(value) ?? '',
    );
    return Boolean(match?.[1] && ownRoles.has(match[1]));
  };
  const isOwnExecutionRole = (value: unknown) =>
    /^module\.[A-Za-z0-9_]*execution_role(\[[^\]]+\])?\.arn$/.test(expressionOf(value) ?? '');

  // Every ECS task is one call of ../ecs-task, which owns the task definition and both roles.
  if (!isEcsTaskModule) {
    for (const task of listResources(config, 'aws_ecs_task_definition')) {
      problems.push(
        `${where}: aws_ecs_task_definition.${task.name} is declared outside ../ecs-task (call the module)`,
      );
    }
  }
  for (const task of listResources(config, 'aws_ecs_task_definition')) {
    const label = `${where}: aws_ecs_task_definition.${task.name}`;
    if (!isOwnExecutionRole(task.body.execution_role_arn))
      problems.push(`${label} has no execution role of its own`);
    if (task.body.task_role_arn !== undefined) {
      if (!isOwnRole(task.body.task_role_arn))
        problems.push(`${label} task role is not this component's own role`);
      if (task.body.task_role_arn === task.body.execution_role_arn)
        problems.push(`${label} uses one role for execution and task`);
    }
  }
  for (const fn of listResources(config, 'aws_lambda_function')) {
    if (!isOwnRole(fn.body.role))
      problems.push(
        `${where}: aws_lambda_function.${fn.name} role is not this component's own role`,
      );
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

// --------------------------------------------------------- mini validate

const META_ARGUMENTS = new Set([
  'source',
  'version',
  'count',
  'for_each',
  'providers',
  'depends_on',
]);

/**
 * What `terraform validate` would catch about names, without the providers:
 * every var./local./resource/data reference is declared, every module call
 * passes exactly the variables its module declares (all required ones), and
 * every module.X.Y names an output of X.
 */
export function findReferenceProblems(
  module: TNamedModule,
  loadByDir: (dir: string) => TModuleConfig | undefined,
): string[] {
  const { config, name: where } = module;
  const problems: string[] = [];
  const locals = listLocals(config);
  const declared = (kind: 'resource' | 'data', type: string, name: string) =>
    Boolean((kind === 'resource' ? config.resource : config.data)?.[type]?.[name]);

  const everything: unknown[] = [
    config.resource,
    config.data,
    config.module,
    config.output,
    config.locals,
    config.provider,
  ];
  const seen = new Set<string>();
  for (const expression of collectExpressions(everything)) {
    for (const ref of findReferences(expression)) {
      const key = JSON.stringify(ref);
      if (seen.has(key)) continue;
      seen.add(key);
      if (ref.kind === 'var' && !config.variable?.[ref.name])
        problems.push(`${where}: var.${ref.name} is not declared`);
      if (ref.kind === 'local' && !locals.has(ref.name))
        problems.push(`${where}: local.${ref.name} is not declared`);
      if (ref.kind === 'resource' && !declared('resource', ref.type, ref.name))
        problems.push(`${where}: ${ref.type}.${ref.name} is not declared`);
      if (ref.kind === 'data' && !declared('data', ref.type, ref.name))
        problems.push(`${where}: data.${ref.type}.${ref.name} is not declared`);
      if (ref.kind === 'module') {
        const call = first(config.module?.[ref.name]);
        if (!call) {
          problems.push(`${where}: module.${ref.name} is not declared`);
          continue;
        }
        const target = loadByDir(String(call.source));
        if (target && !target.output?.[ref.output])
          problems.push(
            `${where}: module.${ref.name}.${ref.output} is not an output of ${String(call.source)}`,
          );
      }
    }
  }

  // each.* only inside a for_each block, count.index only inside a counted one.
  const iterated: Array<[string, TBody]> = [
    ...listResources(config).map((r): [string, TBody] => [`${r.type}.${r.name}`, r.body]),
    ...Object.entries(config.data ?? {}).flatMap(([type, byName]) =>
      Object.entries(byName).map(([name, bodies]): [string, TBody] => [
        `data.${type}.${name}`,
        bodies[0] ?? {},
      ]),
    ),
    ...Object.entries(config.module ?? {}).map(([name, bodies]): [string, TBody] => [
      `module.${name}`,
      bodies[0] ?? {},
    ]),
  ];
  for (const [label, body] of iterated) {
    const text = collectExpressions(body).map(stripExpressionComments).join('\n');
    if (/(?<![\w.])each\.(key|value)/.test(text) && body.for_each === undefined)
      problems.push(`${where}: ${label} uses each.* without for_each`);
    if (/(?<![\w.])count\.index/.test(text) && body.count === undefined)
      problems.push(`${where}: ${label} uses count.index without count`);
  }

  for (const [callName, calls] of Object.entries(config.module ?? {})) {
    const call = calls[0] ?? {};
    const target = loadByDir(String(call.source));
    if (!target) {
      problems.push(
        `${where}: module.${callName} source ${String(call.source)} is not a local module`,
      );
      continue;
    }
    for (const argument of Object.keys(call)) {
      if (!META_ARGUMENTS.has(argument) && !target.variable?.[argument]) {
        problems.push(
          `${where}: module.${callName} passes "${argument}", which ${String(call.source)} does not declare`,
        );
      }
    }
    for (const [variable, bodies] of Object.entries(target.variable ?? {})) {
      const body = bodies[0] ?? {};
      if (!('default' in body) && !(variable in call)) {
        problems.push(`${where}: module.${callName} does not pass required "${variable}"`);
      }
    }
  }
  return problems;
}

/** Variables of a root that neither have a default nor a value in terraform.tfvars (and tfvars keys nobody declared). */
export function findTfvarsProblems(
  config: TModuleConfig,
  tfvars: Record<string, unknown>,
  where: string,
): string[] {
  const problems: string[] = [];
  for (const [name, bodies] of Object.entries(config.variable ?? {})) {
    if (!('default' in (bodies[0] ?? {})) && !(name in tfvars))
      problems.push(`${where}: terraform.tfvars does not set "${name}"`);
  }
  for (const key of Object.keys(tfvars)) {
    if (!getVariable(config, key))
      problems.push(`${where}: terraform.tfvars sets undeclared "${key}"`);
  }
  return problems;
}
