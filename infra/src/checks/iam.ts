// IAM: policy statements scoped to their resources, and each role's trust and ownership.
// Each function returns the problems it finds (an empty list = the rule holds).
import type { TBody, TModuleConfig } from '../terraform-config';
import { blocks, expressionOf, listResources } from '../terraform-config';

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

export function asStrings(value: unknown): string[] {
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
