// Whether a larger value of a metric is an improvement, so gaps to baselines can be marked better or worse.

// Errors and losses: everything else Strata reports (recall@K, ndcg@K, hit@K, mrr@K, auc, psnr, ssim) grows
// with quality.
const LOWER_IS_BETTER = /^(loss|.*_loss|mse|rmse|mae|lpips|perplexity)(@\d+)?$/;

export function higherIsBetter(metric: string): boolean {
  return !LOWER_IS_BETTER.test(metric.toLowerCase());
}
