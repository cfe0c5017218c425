export {
  CleansingRulesSchema,
  QualitySchema,
  RangeRuleSchema,
  SpikeRuleSchema,
  RateOfChangeRuleSchema,
  SmoothingRuleSchema,
  ConvertRuleSchema,
  DeadbandRuleSchema,
  ReportRuleSchema,
  HoldLastRuleSchema,
  type CleansingRules,
  type Quality,
} from './schema.js';
export { checkCleansingRules, validateCleansingRules, type CleansingProblem } from './check.js';
