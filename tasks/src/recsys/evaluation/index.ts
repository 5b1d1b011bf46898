// Full-ranking evaluation (recall@K, ndcg@K, hit@K, mrr@K), centrally or per device as EvaluationSums.
export { evaluateRanking, evaluateRankingSums } from './ranking-evaluation.js';
export type { UserScorer, RankingEvaluationOptions } from './ranking-evaluation.js';
export { addUserRanking, rankingMetricNames, topKExcluding } from './user-ranking.js';
export { addEvaluationSums, emptyEvaluationSums, metricsFromSums } from './evaluation-sums.js';
