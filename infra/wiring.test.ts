// The platform's wiring, checked on the parsed HCL of every module and root.
// Each rule lives in src/checks.ts; checks.test.ts proves each one catches a bad snippet.
import { existsSync } from 'node:fs';
import path from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

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
import type { TModuleConfig, TNamedModule } from './src/terraform-config';
import {
  ENVS_DIR,
  INFRA_DIR,
  blocks,
  expressionOf,
  first,
  getData,
  getLocal,
  getResource,
  listResources,
  loadAllModules,
  parseHcl,
  readText,
  resolveValue,
} from './src/terraform-config';

let modules: TNamedModule[] = [];
const byDir = new Map<string, TModuleConfig>();

function mod(name: string): TModuleConfig {
  const found = byDir.get(path.join(INFRA_DIR, name));
  if (!found) throw new Error(`module ${name} not loaded`);
  return found;
}

beforeAll(async () => {
  modules = await loadAllModules();
  for (const m of modules) byDir.set(m.dir, m.config);
});

describe('layout', () => {
  const REQUIRED = ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md'];

  it('gives every module main, variables, outputs, versions and a README', () => {
    const missing = modules
      .filter((m) => m.name.startsWith('modules/'))
      .flatMap((m) =>
        REQUIRED.filter((file) => !existsSync(path.join(m.dir, file))).map(
          (file) => `${m.name}/${file}`,
        ),
      );
    expect(missing).toEqual([]);
    expect(modules.filter((m) => m.name.startsWith('modules/')).length).toBeGreaterThanOrEqual(10);
  });

  it('has a dev and a prod root', () => {
    expect(modules.map((m) => m.name)).toEqual(expect.arrayContaining(['envs/dev', 'envs/prod']));
  });

  it('pins Terraform >= 1.5 and the AWS provider to one major in every module', () => {
    for (const m of modules) {
      const terraform = first(m.config.terraform);
      expect(terraform?.required_version, m.name).toMatch(/^>= 1\.(5|1\d)$/);
      const aws = first(terraform?.required_providers)?.aws as
        { source?: string; version?: string } | undefined;
      expect(aws?.source, m.name).toBe('hashicorp/aws');
      expect(aws?.version, m.name).toMatch(/^(~> 6\.\d+|>= 6\.\d+, < 7\.0)$/);
    }
  });
});

describe('documentation', () => {
  it('gives every variable a description and a type, and every output a description', () => {
    expect(modules.flatMap((m) => findUndocumented(m.config, m.name))).toEqual([]);
  });
});

describe('names and references (offline terraform validate)', () => {
  it('declares everything it references and calls modules with exactly their variables', () => {
    const problems = modules.flatMap((m) =>
      findReferenceProblems(m, (source) => byDir.get(path.resolve(m.dir, source))),
    );
    expect(problems).toEqual([]);
  });
});

describe('environment roots', () => {
  for (const env of ['dev', 'prod']) {
    describe(env, () => {
      it('keeps state in S3 with locking and encryption under its own key', () => {
        const backend = first(mod(`envs/${env}`).terraform)?.backend as
          Record<string, unknown[]> | undefined;
        const s3 = first(backend?.s3);
        expect(s3?.use_lockfile).toBe(true);
        expect(s3?.encrypt).toBe(true);
        expect(s3?.key).toBe(`tripcast/${env}/terraform.tfstate`);
      });

      it('tags everything through the provider default_tags', () => {
        const aws = first(mod(`envs/${env}`).provider?.aws);
        const tags = first(aws?.default_tags)?.tags as Record<string, string> | undefined;
        expect(tags).toMatchObject({
          Project: 'tripcast',
          Environment: '${var.environment}',
          ManagedBy: 'terraform',
        });
      });

      it('sets every variable without a default in terraform.tfvars', async () => {
        const tfvars = (await parseHcl(
          readText(path.join(ENVS_DIR, env, 'terraform.tfvars')),
          'terraform.tfvars',
        )) as Record<string, unknown>;
        expect(findTfvarsProblems(mod(`envs/${env}`), tfvars, `envs/${env}`)).toEqual([]);
        expect(tfvars.environment).toBe(env);
      });
    });
  }

  it('serves prod over HTTPS only: the domain cannot be left out', async () => {
    const prod = mod('envs/prod');
    expect(prod.variable?.console_domain_name?.[0]).toMatchObject({ nullable: false });
    expect(prod.variable?.console_domain_name?.[0]).not.toHaveProperty('default');
    const tfvars = (await parseHcl(
      readText(path.join(ENVS_DIR, 'prod', 'terraform.tfvars')),
      'terraform.tfvars',
    )) as Record<string, unknown>;
    expect(tfvars.allow_destroy_with_data).toBe(false);
    expect(tfvars.db_multi_az).toBe(true);
  });
});

describe('IAM', () => {
  it('grants no wildcard action, and "*" resources only to actions AWS cannot scope', () => {
    expect(modules.flatMap((m) => findPolicyProblems(m.config, m.name))).toEqual([]);
  });

  it('gives every component its own roles, with execution roles separate from task roles', () => {
    for (const name of ['console', 'scorer', 'consumer', 'migrate', 'trainer']) {
      expect(findRoleProblems(mod(`modules/${name}`), `modules/${name}`), name).toEqual([]);
      // Every ECS workload is a call of ../ecs-task (the consumer's poller, in its ECS mode).
      const calls = Object.values(mod(`modules/${name}`).module ?? {}).map((bodies) => bodies[0]);
      expect(
        calls.some((call) => call?.source === '../ecs-task'),
        name,
      ).toBe(true);
    }
    expect(
      findRoleProblems(mod('modules/ecs-task'), 'modules/ecs-task', { isEcsTaskModule: true }),
    ).toEqual([]);
  });

  it('names one distinct role per component (no role is shared)', () => {
    const names: string[] = [];
    for (const m of modules.filter((m) => m.name.startsWith('modules/'))) {
      for (const role of listResources(m.config, 'aws_iam_role'))
        names.push(String(role.body.name).replace('${var.name}', m.name));
      for (const [call, bodies] of Object.entries(m.config.module ?? {})) {
        const body = bodies[0] ?? {};
        // ../ecs-task names its roles {name_prefix}-{name}-task and -execution.
        if (body.source === '../ecs-task') {
          const family = `${m.name}-${String(resolveValue(m.config, body.name) ?? body.name)}`;
          names.push(`${family}-task (${call})`, `${family}-execution (${call})`);
        }
      }
    }
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(9);
  });

  it('lets the console run only the scorer and trainer tasks, in its cluster, and pass only their roles', () => {
    const doc = getData(mod('modules/console'), 'aws_iam_policy_document', 'task');
    const statements = (doc?.statement ?? []) as Array<Record<string, unknown>>;
    const runTask = statements.find((s) => (s.actions as string[]).includes('ecs:RunTask'));
    expect(runTask?.resources).toEqual([
      '${var.scorer.task_definition_arn_without_revision}:*',
      '${var.trainer.task_definition_arn_without_revision}:*',
    ]);
    expect(first(runTask?.condition)).toMatchObject({
      test: 'ArnEquals',
      variable: 'ecs:cluster',
      values: ['${var.cluster_arn}'],
    });
    const passRole = statements.find((s) => (s.actions as string[]).includes('iam:PassRole'));
    expect(passRole?.resources).toEqual([
      '${var.scorer.execution_role_arn}',
      '${var.scorer.task_role_arn}',
      '${var.trainer.execution_role_arn}',
      '${var.trainer.task_role_arn}',
    ]);
    expect(first(passRole?.condition)).toMatchObject({
      variable: 'iam:PassedToService',
      values: ['ecs-tasks.amazonaws.com'],
    });

    // ...and the platform hands it the scorer and trainer modules' own roles, nothing else.
    const call = first(mod('modules/platform').module?.console);
    expect(first(call?.scorer) ?? call?.scorer).toBeDefined();
    const scorerArg = String(JSON.stringify(call?.scorer));
    expect(scorerArg).toContain('module.scorer.task_role_arn');
    expect(scorerArg).toContain('module.scorer.execution_role_arn');
    const trainerArg = String(JSON.stringify(call?.trainer));
    expect(trainerArg).toContain('module.trainer.task_role_arn');
    expect(trainerArg).toContain('module.trainer.execution_role_arn');
    expect(trainerArg).toContain('module.trainer.task_definition_family');
  });

  it('lets the consumer read only ride_events and write only ride_predictions', () => {
    const doc = getData(mod('modules/consumer'), 'aws_iam_policy_document', 'consume');
    const statements = (doc?.statement ?? []) as Array<Record<string, unknown>>;
    const read = statements.find((s) => s.sid === 'ReadInputStream');
    const write = statements.find((s) => s.sid === 'WriteOutputStream');
    expect(read?.resources).toEqual(['${var.input_stream_arn}']);
    expect(write?.resources).toEqual(['${var.predictions_stream_arn}']);
    expect((write?.actions as string[]).every((a) => a.startsWith('kinesis:Put'))).toBe(true);
    const call = first(mod('modules/platform').module?.consumer);
    expect(call?.input_stream_arn).toBe('${module.streams.stream_arns["ride_events"]}');
    expect(call?.predictions_stream_arn).toBe('${module.streams.stream_arns["ride_predictions"]}');
  });

  it('lets the scorer read trip data and models and write predictions, never write trip data', () => {
    const doc = getData(mod('modules/scorer'), 'aws_iam_policy_document', 'task');
    const statements = (doc?.statement ?? []) as Array<Record<string, unknown>>;
    const writes = statements.filter((s) =>
      (s.actions as string[]).some((a) => a === 's3:PutObject'),
    );
    const written = writes.flatMap((s) => s.resources as string[]);
    expect(written).toEqual([
      '${var.bucket_arns.models}/rejects/*',
      '${var.bucket_arns.predictions}/*',
    ]);
    const reads = statements
      .filter((s) => (s.actions as string[]).includes('s3:GetObject'))
      .flatMap((s) => s.resources as string[]);
    expect(reads).toEqual(
      expect.arrayContaining([
        '${var.bucket_arns.trip_data}/*',
        '${var.bucket_arns.models}/models/*',
      ]),
    );
  });
});

describe('network', () => {
  it('opens only the load balancer to CIDR ranges; every other flow names a security group', () => {
    expect(findIngressProblems(mod('modules/network'), 'modules/network', 'alb')).toEqual([]);
  });

  it('lets only the four workloads reach the database', () => {
    const rule = getResource(
      mod('modules/network'),
      'aws_vpc_security_group_ingress_rule',
      'database_from_workload',
    );
    expect(rule?.for_each).toBe('${local.workloads}');
    expect(rule?.from_port).toBe(5432);
    expect(getLocal(mod('modules/network'), 'workloads')).toBe(
      '${toset(["console", "scorer", "consumer", "migrate"])}',
    );
  });

  it('has the S3 gateway endpoint and a Kinesis interface endpoint by default', () => {
    const network = mod('modules/network');
    expect(getResource(network, 'aws_vpc_endpoint', 's3')?.vpc_endpoint_type).toBe('Gateway');
    expect(network.variable?.interface_endpoint_services?.[0]?.default).toEqual([
      'kinesis-streams',
    ]);
  });
});

describe('storage', () => {
  it('blocks public access and encrypts every bucket', () => {
    const problems = modules.flatMap((m) => findBucketProblems(m.config, m.name));
    expect(problems).toEqual([]);
    expect(listResources(mod('modules/storage'), 'aws_s3_bucket')).toHaveLength(1); // one for_each over three buckets
  });

  it('keeps versioning where data is irreplaceable and expires old outputs', () => {
    const storage = mod('modules/storage');
    const text = readText(path.join(INFRA_DIR, 'modules/storage/main.tf'));
    expect(text).toMatch(/models = \{\s+suffix\s+= "models"\s+versioning = true/);
    expect(
      getResource(storage, 'aws_s3_bucket_lifecycle_configuration', 'predictions'),
    ).toBeDefined();
    const rule = first(
      getResource(storage, 'aws_s3_bucket_lifecycle_configuration', 'predictions')?.rule,
    );
    expect(first(rule?.expiration)?.days).toBe('${var.predictions_expire_after_days}');
  });
});

describe('streams', () => {
  it('encrypts both streams and takes shards and retention from variables', () => {
    const stream = getResource(mod('modules/streams'), 'aws_kinesis_stream', 'this');
    expect(stream?.encryption_type).toBe('KMS');
    expect(stream?.retention_period).toBe('${var.retention_hours}');
    expect(stream?.shard_count).toBe('${each.value}');
    expect(getLocal(mod('modules/streams'), 'streams')).toEqual({
      ride_events: '${var.ride_events_shard_count}',
      ride_predictions: '${var.ride_predictions_shard_count}',
    });
  });
});

describe('database', () => {
  it('is private, encrypted and backed up, with credentials in Secrets Manager', () => {
    const database = mod('modules/database');
    expect(findDatabaseProblems(database, 'modules/database')).toEqual([]);
    const secret = getResource(database, 'aws_secretsmanager_secret_version', 'this');
    expect(String(secret?.secret_string)).toContain('database_url');
    expect(String(secret?.secret_string)).toContain('sslmode=verify-full');
    const platformCall = first(mod('modules/platform').module?.database);
    expect(platformCall?.subnet_ids).toBe('${module.network.private_subnet_ids}');
  });
});

describe('registry', () => {
  it('scans on push and expires old images', () => {
    const registry = mod('modules/registry');
    const repo = getResource(registry, 'aws_ecr_repository', 'this');
    expect(first(repo?.image_scanning_configuration)?.scan_on_push).toBe(true);
    expect(repo?.image_tag_mutability).toBe('IMMUTABLE');
    expect(getResource(registry, 'aws_ecr_lifecycle_policy', 'this')?.for_each).toBe(
      '${aws_ecr_repository.this}',
    );
    expect(registry.variable?.repositories?.[0]?.default).toEqual([
      'console',
      'scorer',
      'stream-consumer',
    ]);
  });
});

describe('scorer schedule', () => {
  it('runs the scorer task monthly with the previous-month input', () => {
    const scorer = mod('modules/scorer');
    expect(findScheduleProblems(scorer, 'modules/scorer')).toEqual([]);
    const schedule = getResource(scorer, 'aws_scheduler_schedule', 'monthly');
    const target = first(schedule?.target);
    expect(target?.arn).toBe('${var.cluster_arn}');
    expect(first(target?.ecs_parameters)?.task_definition_arn).toBe(
      '${module.task.task_definition_arn}',
    );
    expect(first(scorer.module?.task)?.name).toBe('${local.container_name}');
    expect(String(target?.input)).toMatch(/name = local\.container_name/);
  });

  it('lets the scheduler role run only that task and pass only its roles', () => {
    const doc = getData(mod('modules/scorer'), 'aws_iam_policy_document', 'scheduler');
    const statements = (doc?.statement ?? []) as Array<Record<string, unknown>>;
    expect(statements.find((s) => s.sid === 'RunScorerTask')?.resources).toEqual([
      '${module.task.task_definition_arn_without_revision}:*',
    ]);
    expect(statements.find((s) => s.sid === 'PassScorerRoles')?.resources).toEqual([
      '${module.task.execution_role_arn}',
      '${module.task.task_role_arn}',
    ]);
  });

  it('counts failed runs in a metric the observability module alarms on', () => {
    const filter = getResource(
      mod('modules/scorer'),
      'aws_cloudwatch_log_metric_filter',
      'failed_runs',
    );
    expect(first(filter?.metric_transformation)?.name).toBe('FailedBatchRuns');
    const rule = getResource(mod('modules/scorer'), 'aws_cloudwatch_event_rule', 'failed_run');
    expect(String(rule?.event_pattern)).toContain('anything-but');
    expect(first(mod('modules/platform').module?.observability)?.failed_runs_metric).toBe(
      '${module.scorer.failed_runs_metric}',
    );
  });
});

describe('model drift monitoring', () => {
  it('starts the scorer daily with the drift command, on the same task and schedule role', () => {
    const scorer = mod('modules/scorer');
    const schedule = getResource(scorer, 'aws_scheduler_schedule', 'daily_drift');
    expect(schedule?.schedule_expression).toBe('${var.drift_schedule_expression}');
    const target = first(schedule?.target);
    expect(target?.role_arn).toBe('${aws_iam_role.scheduler.arn}');
    expect(first(target?.ecs_parameters)?.task_definition_arn).toBe(
      '${module.task.task_definition_arn}',
    );
    expect(String(target?.input)).toMatch(/command\s*=\s*\["drift"\]/);
  });

  it('counts drift alert log lines in a metric that alarms to the platform SNS topic', () => {
    const filter = getResource(
      mod('modules/scorer'),
      'aws_cloudwatch_log_metric_filter',
      'drift_alerts',
    );
    expect(filter?.log_group_name).toBe('${module.task.log_group_name}');
    expect(String(filter?.pattern)).toContain('$.event = "monitoring.alert"');
    expect(first(filter?.metric_transformation)?.name).toBe('ModelDriftAlerts');
    expect(first(mod('modules/platform').module?.observability)?.drift_alerts_metric).toBe(
      '${module.scorer.drift_alerts_metric}',
    );
    const alarm = getResource(
      mod('modules/observability'),
      'aws_cloudwatch_metric_alarm',
      'model_drift',
    );
    expect(alarm?.metric_name).toBe('${var.drift_alerts_metric.name}');
    expect(alarm?.alarm_actions).toBe('${local.actions}');
  });
});

describe('predictions catalog (Athena over the batch Parquet)', () => {
  const table = () =>
    getResource(mod('modules/catalog'), 'aws_glue_catalog_table', 'batch_predictions');

  it('declares the course output columns, partitioned by taxi_type, year and month', () => {
    const descriptor = first(table()?.storage_descriptor);
    const columns = blocks(descriptor?.columns).map((c) => `${String(c.name)} ${String(c.type)}`);
    expect(columns).toEqual([
      'ride_id string',
      'pickup_datetime timestamp',
      'pulocationid int',
      'dolocationid int',
      'actual_duration double',
      'predicted_duration double',
      'diff double',
      'model_version string',
    ]);
    expect(String(first(descriptor?.ser_de_info)?.serialization_library)).toMatch(
      /ParquetHiveSerDe$/,
    );
    const keys = blocks(table()?.partition_keys).map((k) => `${String(k.name)} ${String(k.type)}`);
    expect(keys).toEqual(['taxi_type string', 'year int', 'month int']);
    expect(descriptor?.location).toBe('${local.predictions}/');
    expect(getLocal(mod('modules/catalog'), 'predictions')).toBe(
      's3://${var.predictions_bucket_name}',
    );
  });

  it("projects partitions onto the scorer's own layout and taxi types", () => {
    const parameters = (table()?.parameters ?? {}) as Record<string, string>;
    expect(parameters['projection.enabled']).toBe('true');
    // Terraform's $${ is a literal ${: Athena substitutes the partition values.
    expect(parameters['storage.location.template']).toBe(
      '${local.predictions}/taxi_type=$${taxi_type}/year=$${year}/month=$${month}/',
    );
    // month=01 as apps/scorer/src/paths.ts writes it (the layout is also checked on a real run in images.test.ts).
    expect(parameters['projection.month.digits']).toBe('2');
    expect(parameters['projection.month.range']).toBe('1,12');
    expect(parameters['projection.taxi_type.values']).toBe('${join(",", var.taxi_types)}');
    const scorerTaxiTypes = /ZTaxiType = z\.enum\(\[([^\]]*)\]\)/
      .exec(readText(path.join(INFRA_DIR, '../packages/model/src/ride.ts')))?.[1]
      ?.split(',')
      .map((t) => t.trim().replace(/'/g, ''));
    expect(mod('modules/catalog').variable?.taxi_types?.[0]?.default).toEqual(scorerTaxiTypes);
    const paths = readText(path.join(INFRA_DIR, '../apps/scorer/src/paths.ts'));
    for (const key of ['taxi_type=', 'year=', 'month=']) expect(paths).toContain(key);
  });

  it('queries in a workgroup that enforces its encrypted results location and a scan limit', () => {
    const workgroup = getResource(mod('modules/catalog'), 'aws_athena_workgroup', 'this');
    const configuration = first(workgroup?.configuration);
    expect(configuration?.enforce_workgroup_configuration).toBe(true);
    expect(configuration?.bytes_scanned_cutoff_per_query).toBe(
      '${var.bytes_scanned_cutoff_per_query}',
    );
    const results = first(configuration?.result_configuration);
    expect(results?.output_location).toBe(
      's3://${var.results_bucket_name}/${local.results_prefix}',
    );
    expect(first(results?.encryption_configuration)?.encryption_option).toBe('SSE_S3');
    const call = first(mod('modules/platform').module?.catalog);
    expect(call?.predictions_bucket_name).toBe('${module.storage.bucket_names.predictions}');
    expect(call?.results_bucket_name).toBe('${module.storage.bucket_names.athena_results}');
  });

  it('names the database, table and workgroup in every root', () => {
    for (const env of ['dev', 'prod']) {
      expect(expressionOf(mod(`envs/${env}`).output?.athena?.[0]?.value)).toBe(
        'module.platform.athena',
      );
    }
  });
});

describe('run events (EventBridge)', () => {
  it('creates the {name_prefix}-events bus and lets only the scorer task publish on it', () => {
    const bus = getResource(mod('modules/events'), 'aws_cloudwatch_event_bus', 'this');
    expect(bus?.name).toBe('${var.name}-events');
    const scorerCall = first(mod('modules/platform').module?.scorer);
    expect(scorerCall?.run_events_bus_arn).toBe('${module.events.bus_arn}');
    expect(scorerCall?.run_events_bus_name).toBe('${module.events.bus_name}');
    // The scorer container is told the bus (apps/scorer/src/env.ts reads RUN_EVENTS_BUS_NAME;
    // the environment contract below checks the name is one it reads).
    const environment = first(mod('modules/scorer').module?.task)?.environment as
      Record<string, string> | undefined;
    expect(environment?.RUN_EVENTS_BUS_NAME).toBe('${var.run_events_bus_name}');

    const doc = getData(mod('modules/scorer'), 'aws_iam_policy_document', 'task');
    const statements = (doc?.statement ?? []) as Array<Record<string, unknown>>;
    const publish = statements.filter((s) => (s.actions as string[]).includes('events:PutEvents'));
    expect(publish).toHaveLength(1);
    expect(publish[0]?.resources).toEqual(['${var.run_events_bus_arn}']);
    // No other module's policy may publish events.
    const publishers = modules.filter((m) =>
      Object.values(m.config.data?.aws_iam_policy_document ?? {}).some((bodies) =>
        JSON.stringify(bodies).includes('events:PutEvents'),
      ),
    );
    expect(publishers.map((m) => m.name)).toEqual(['modules/scorer']);
  });
});

describe('stream consumer', () => {
  it('maps ride_events to the Lambda with per-record failures, bisect, bounded retries and an on-failure destination', () => {
    const consumer = mod('modules/consumer');
    expect(findEventSourceMappingProblems(consumer, 'modules/consumer')).toEqual([]);
    const mapping = getResource(consumer, 'aws_lambda_event_source_mapping', 'this');
    expect(mapping?.event_source_arn).toBe('${var.input_stream_arn}');
    expect(resolveValue(consumer, mapping?.maximum_retry_attempts)).toBe(3);
    const call = first(mod('modules/platform').module?.consumer);
    expect(call?.dead_letter_queue_arn).toBe('${module.streams.dead_letter_queue_arn}');
  });

  it('runs the Lambda from a container image and offers the standalone poller as an ECS service', () => {
    const consumer = mod('modules/consumer');
    expect(getResource(consumer, 'aws_lambda_function', 'this')?.package_type).toBe('Image');
    expect(getResource(consumer, 'aws_ecs_service', 'this')?.count).toBe('${local.is_ecs ? 1 : 0}');
    expect(consumer.variable?.mode?.[0]?.default).toBe('lambda');
  });
});

describe('console', () => {
  it('serves HTTPS behind the ALB, health-checks /api/health and autoscales', () => {
    const consoleModule = mod('modules/console');
    expect(getResource(consoleModule, 'aws_lb_listener', 'https')?.protocol).toBe('HTTPS');
    const tg = getResource(consoleModule, 'aws_lb_target_group', 'this');
    expect(resolveValue(consoleModule, first(tg?.health_check)?.path)).toBe('/api/health');
    expect(listResources(consoleModule, 'aws_appautoscaling_policy').length).toBeGreaterThanOrEqual(
      1,
    );
    const service = getResource(consoleModule, 'aws_ecs_service', 'this');
    expect(first(service?.network_configuration)?.assign_public_ip).toBe(false);
  });
});

describe('observability', () => {
  it('alarms on iterator age, dead-letter depth, failed batch runs, model drift and ALB 5xx', () => {
    const alarms = listResources(mod('modules/observability'), 'aws_cloudwatch_metric_alarm').map(
      (a) => a.name,
    );
    expect(alarms.sort()).toEqual([
      'console_5xx',
      'consumer_iterator_age',
      'dead_letter_depth',
      'failed_batch_runs',
      'model_drift',
    ]);
  });

  it('gives every log group a retention', () => {
    const groups = modules.flatMap((m) =>
      listResources(m.config, 'aws_cloudwatch_log_group').map((g) => ({ m: m.name, g })),
    );
    expect(groups.length).toBeGreaterThanOrEqual(3);
    // ...including the one log group of every ECS task.
    expect(
      getResource(mod('modules/ecs-task'), 'aws_cloudwatch_log_group', 'this')?.retention_in_days,
    ).toBe('${var.log_retention_days}');
    for (const { m, g } of groups) expect(g.body.retention_in_days, `${m} ${g.name}`).toBeDefined();
  });
});

describe('outputs', () => {
  it('expose the console URL, bucket names, stream names and database endpoint in every root', () => {
    for (const env of ['dev', 'prod']) {
      const outputs = mod(`envs/${env}`).output ?? {};
      for (const name of ['console_url', 'bucket_names', 'stream_names', 'database_endpoint']) {
        expect(expressionOf(outputs[name]?.[0]?.value), `${env} ${name}`).toBe(
          `module.platform.${name}`,
        );
      }
    }
  });
});

// Every variable the Terraform hands a container is one the app validates in its env module
// (only a deployable's src/env.ts reads process.env, and validates it). A typo such as ECS_SUBNET would
// otherwise be silently ignored and only show up in AWS.
describe('environment contract with the apps', () => {
  /** Variable names a zod env schema declares (`  NAME: z....`). */
  function readEnvNames(...files: string[]): Set<string> {
    const names = new Set<string>();
    for (const file of files) {
      for (const match of readText(path.join(INFRA_DIR, '..', file)).matchAll(
        /^\s+([A-Z][A-Z0-9_]+):/gm,
      ))
        names.add(match[1] ?? '');
    }
    return names;
  }

  /** Names set by a module's container definitions, ../ecs-task calls and Lambda environment. */
  function readContainerEnvNames(config: TModuleConfig): string[] {
    const names = new Set<string>();
    for (const bodies of Object.values(config.module ?? {})) {
      const call = bodies[0];
      if (call?.source !== '../ecs-task') continue;
      for (const argument of [call.environment, call.secrets]) {
        // A literal map gives its keys; an expression (merge(local.x, {...})) its NAME = parts.
        if (argument && typeof argument === 'object') {
          for (const key of Object.keys(argument)) names.add(key);
        } else if (typeof argument === 'string') {
          for (const match of argument.matchAll(/([A-Z][A-Z0-9_]+)\s*=/g))
            names.add(match[1] ?? '');
        }
      }
    }
    for (const task of listResources(config, 'aws_ecs_task_definition')) {
      for (const match of String(task.body.container_definitions).matchAll(
        /name\s*=\s*"([A-Z][A-Z0-9_]+)"/g,
      ))
        names.add(match[1] ?? '');
    }
    for (const fn of listResources(config, 'aws_lambda_function')) {
      for (const match of String(first(fn.body.environment)?.variables).matchAll(
        /([A-Z][A-Z0-9_]+)\s*=/g,
      ))
        names.add(match[1] ?? '');
    }
    const common = getLocal(config, 'common_environment');
    if (common && typeof common === 'object') for (const key of Object.keys(common)) names.add(key);
    return [...names].sort();
  }

  // Read by Node itself, the AWS SDK, or the image's own entry module (infra/images/*.mjs).
  const PLATFORM_NAMES = new Set([
    'NODE_EXTRA_CA_CERTS',
    'NODE_OPTIONS',
    'AWS_REGION',
    'DATABASE_SECRET_ARN',
  ]);

  const CONTRACTS: Record<string, string[]> = {
    // The console also runs the scorer's launcher (ECS_*, SCORER_LAUNCHER).
    console: ['apps/console/src/env.ts', 'apps/scorer/src/env.ts'],
    scorer: ['apps/scorer/src/env.ts'],
    consumer: ['apps/stream-consumer/src/env.ts'],
    migrate: ['packages/db/src/env.ts'],
    trainer: ['packages/model/src/env.ts'],
  };

  for (const [component, files] of Object.entries(CONTRACTS)) {
    it(`${component}: sets only variables its app reads`, () => {
      const known = readEnvNames(...files);
      const names = readContainerEnvNames(mod(`modules/${component}`));
      const unknown = names.filter((name) => !known.has(name) && !PLATFORM_NAMES.has(name));
      expect(unknown).toEqual([]);
      if (component !== 'migrate') expect(names.length).toBeGreaterThan(2);
    });
  }

  // The console task's init containers (modules/console) run other CLIs than the console.
  const INIT_CONTRACTS: Record<string, string[]> = {
    migrate: ['packages/db/src/env.ts'],
    'model-bootstrap': ['packages/model/src/env.ts'],
    'first-admin': ['apps/console/src/env.ts'],
  };

  it('console init containers: each sets only variables its CLI reads, in the order migrate, model, admin', () => {
    const call = first(mod('modules/console').module?.task);
    const inits = (call?.init_containers ?? []) as Array<Record<string, unknown>>;
    expect(inits.map((c) => c.name)).toEqual(['migrate', 'model-bootstrap', 'first-admin']);
    for (const init of inits) {
      const known = readEnvNames(...(INIT_CONTRACTS[String(init.name)] ?? []));
      const names = [init.environment, init.secrets].flatMap((value) =>
        value && typeof value === 'object' ? Object.keys(value) : [],
      );
      expect(
        names.filter((name) => !known.has(name) && !PLATFORM_NAMES.has(name)),
        String(init.name),
      ).toEqual([]);
      expect(names, String(init.name)).toContain('DATABASE_URL');
    }
    // The first admin's password goes to the secret Terraform made, which the roots name.
    const firstAdmin = inits.find((c) => c.name === 'first-admin');
    expect((firstAdmin?.environment as Record<string, string>).FIRST_ADMIN_SECRET_ARN).toBe(
      '${aws_secretsmanager_secret.first_admin.arn}',
    );
    for (const env of ['dev', 'prod']) {
      expect(expressionOf(mod(`envs/${env}`).output?.first_admin_secret_name?.[0]?.value)).toBe(
        'module.platform.first_admin_secret_name',
      );
    }
  });

  it('catches a misspelled variable (the contract check can fail)', async () => {
    const config = await parseHcl(`
      resource "aws_ecs_task_definition" "bad" {
        container_definitions = jsonencode([{ environment = [{ name = "ECS_SUBNET", value = "x" }] }])
      }`);
    const known = readEnvNames(...(CONTRACTS.console ?? []));
    expect(readContainerEnvNames(config).filter((name) => !known.has(name))).toEqual([
      'ECS_SUBNET',
    ]);
  });

  it('sets only known variables in the console image', () => {
    const dockerfile = readText(path.join(INFRA_DIR, '..', 'apps/console/Dockerfile'));
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('AS runtime'));
    const names = [...runtime.matchAll(/\b([A-Z][A-Z0-9_]+)=/g)].map((m) => m[1] ?? '');
    const known = readEnvNames('apps/console/src/env.ts');
    expect(names.filter((name) => !known.has(name) && !PLATFORM_NAMES.has(name))).toEqual([]);
    expect(names).toEqual(expect.arrayContaining(['CONSOLE_HOST', 'ZONE_LOOKUP_PATH']));
  });
});
