// Scan result → VulnerabilityReport: data, names, labels, annotations, the visible FAILED outcome, size
// reduction and freshness. Pure functions; writing to the API server is the reconcilers' job.
export {
  ADDITIONAL_FIELDS,
  type BuildReportDataOptions,
  buildReportData,
  emptySummary,
  type FailedReportDataOptions,
  failedReportData,
  imageArtifact,
  pickScore,
  rfc3339,
  SCANNER_NAME,
  SCANNER_VENDOR,
  summarize,
  timestamp,
  vendorSeverity,
} from './data.js';
export { DEFAULT_MAX_REPORT_BYTES, fitReport, reportBytes } from './fit.js';
export { type ReuseOptions, reportIsCurrent, reusableResult } from './freshness.js';
export {
  isValidLabelValue,
  ownerLabels,
  type ReportAnnotationsInput,
  type ReportLabelsInput,
  type ReportOwner,
  reportAnnotations,
  reportLabels,
  reportName,
  VIGIL_REPORT_ANNOTATIONS,
} from './labels.js';
export {
  type BuildVulnerabilityReportInput,
  buildVulnerabilityReport,
  mergeForUpdate,
  type ReportOwnerObject,
  type ReportScanStatus,
  type VigilVulnerabilityReport,
} from './object.js';
