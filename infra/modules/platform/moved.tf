# Addresses from before the ecs-task module (each component declared its own log
# group, roles and task definition): with these, the first plan after that change
# moves those objects instead of destroying and re-creating them (which would drop
# the log history). They can go once every environment has applied it.

moved {
  from = module.console.aws_cloudwatch_log_group.this
  to   = module.console.module.task.aws_cloudwatch_log_group.this
}

moved {
  from = module.console.module.execution_role
  to   = module.console.module.task.module.execution_role
}

moved {
  from = module.console.aws_iam_role.task
  to   = module.console.module.task.aws_iam_role.task
}

moved {
  from = module.console.aws_iam_role_policy.task
  to   = module.console.module.task.aws_iam_role_policy.task["console"]
}

moved {
  from = module.console.aws_ecs_task_definition.this
  to   = module.console.module.task.aws_ecs_task_definition.this
}

moved {
  from = module.scorer.aws_cloudwatch_log_group.this
  to   = module.scorer.module.task.aws_cloudwatch_log_group.this
}

moved {
  from = module.scorer.module.execution_role
  to   = module.scorer.module.task.module.execution_role
}

moved {
  from = module.scorer.aws_iam_role.task
  to   = module.scorer.module.task.aws_iam_role.task
}

moved {
  from = module.scorer.aws_iam_role_policy.task
  to   = module.scorer.module.task.aws_iam_role_policy.task["scorer"]
}

moved {
  from = module.scorer.aws_ecs_task_definition.this
  to   = module.scorer.module.task.aws_ecs_task_definition.this
}

moved {
  from = module.trainer.aws_cloudwatch_log_group.this
  to   = module.trainer.module.task.aws_cloudwatch_log_group.this
}

moved {
  from = module.trainer.module.execution_role
  to   = module.trainer.module.task.module.execution_role
}

moved {
  from = module.trainer.aws_iam_role.task
  to   = module.trainer.module.task.aws_iam_role.task
}

moved {
  from = module.trainer.aws_iam_role_policy.task
  to   = module.trainer.module.task.aws_iam_role_policy.task["train"]
}

moved {
  from = module.trainer.aws_ecs_task_definition.this
  to   = module.trainer.module.task.aws_ecs_task_definition.this
}

moved {
  from = module.migrate.aws_cloudwatch_log_group.this
  to   = module.migrate.module.task.aws_cloudwatch_log_group.this
}

moved {
  from = module.migrate.module.execution_role
  to   = module.migrate.module.task.module.execution_role
}

moved {
  from = module.migrate.aws_ecs_task_definition.this
  to   = module.migrate.module.task.aws_ecs_task_definition.this
}

moved {
  from = module.consumer.aws_cloudwatch_log_group.ecs[0]
  to   = module.consumer.module.task[0].aws_cloudwatch_log_group.this
}

moved {
  from = module.consumer.module.execution_role[0]
  to   = module.consumer.module.task[0].module.execution_role
}

moved {
  from = module.consumer.aws_iam_role.task[0]
  to   = module.consumer.module.task[0].aws_iam_role.task
}

moved {
  from = module.consumer.aws_iam_role_policy.task[0]
  to   = module.consumer.module.task[0].aws_iam_role_policy.task["consumer"]
}

moved {
  from = module.consumer.aws_ecs_task_definition.this[0]
  to   = module.consumer.module.task[0].aws_ecs_task_definition.this
}
