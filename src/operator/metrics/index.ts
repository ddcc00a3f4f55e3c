export {
  createOperatorMetrics,
  type OperatorMetrics,
  type OperatorMetricsOptions,
  type ReportPhase,
  type ScanJobOutcome,
} from './operator-metrics.js';
export {
  createReportMetricsCollector,
  isFailedWithoutData,
  type ReportMetricsCollectorOptions,
  type ReportMetricsConfig,
} from './report-collector.js';
