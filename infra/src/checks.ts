// The rules the Terraform configuration must keep, as functions that return
// the problems they find (an empty list = the rule holds). The tests run them
// over infra/ and also feed them deliberately bad snippets, so a checker that
// stopped finding anything would fail its own test.
//
// One module per concern under checks/; this file gathers them for the tests.
export { UNSCOPABLE_ACTIONS, findPolicyProblems, findRoleProblems } from './checks/iam';
export { findUndocumented } from './checks/documentation';
export {
  findBucketProblems,
  findDatabaseProblems,
  MONTHLY_SCHEDULE,
  findScheduleProblems,
  findEventSourceMappingProblems,
  findIngressProblems,
} from './checks/resources';
export { findReferenceProblems, findTfvarsProblems } from './checks/references';
