/**
 * The analysis boundary: per-layer analysis into Trivy-shaped BlobInfos and their merge into an
 * ArtifactDetail. `createImageAnalyzers()` is the set Trivy runs on container images (lock-file analysers
 * are off for images, so only installed-package analysers are here).
 */
import type { Analyzer } from './analyzer.js';
import { createComposerVendorAnalyzer } from './lang/composer.js';
import { createDotnetDepsAnalyzer } from './lang/dotnet.js';
import { createGemspecAnalyzer } from './lang/gemspec.js';
import { createGoBinaryAnalyzer } from './lang/gobinary.js';
import { createJarAnalyzer } from './lang/jar.js';
import { createNpmAnalyzer } from './lang/npm.js';
import { createPythonAnalyzer } from './lang/python.js';
import { createRustBinaryAnalyzer } from './lang/rustbinary.js';
import { createAmazonAnalyzer } from './os/amazon.js';
import { createAlpineAnalyzer, createDebianAnalyzer } from './os/first-line.js';
import { createRedHatBaseAnalyzers } from './os/redhat.js';
import { createOSReleaseAnalyzer } from './os/release.js';
import { createUbuntuAnalyzer, createUbuntuESMAnalyzer } from './os/ubuntu.js';
import { createApkAnalyzer } from './pkg/apk.js';
import { createDpkgAnalyzer } from './pkg/dpkg.js';
import { createRpmAnalyzer } from './pkg/rpm/analyzer.js';
import { createApkRepositoriesAnalyzer } from './repo/apk-repositories.js';

export type { AnalysisResult, Analyzer, AnalyzerFile, FileAnalyzer, PostAnalyzer } from './analyzer.js';
export { applyLayers, checkArtifactDetail } from './apply.js';
export { AnalyzeError, type AnalyzeErrorCode } from './errors.js';
export { type AnalyzeLayerOptions, analyzeLayer, type LayerAnalysis, type LayerIdentity } from './layer.js';
export * from './types.js';

export function createImageAnalyzers(): Analyzer[] {
  return [
    createOSReleaseAnalyzer(),
    createDebianAnalyzer(),
    createAlpineAnalyzer(),
    createUbuntuAnalyzer(),
    createUbuntuESMAnalyzer(),
    ...createRedHatBaseAnalyzers(),
    createAmazonAnalyzer(),
    createApkRepositoriesAnalyzer(),
    createDpkgAnalyzer(),
    createApkAnalyzer(),
    createRpmAnalyzer(),
    createNpmAnalyzer(),
    createPythonAnalyzer(),
    createGemspecAnalyzer(),
    createComposerVendorAnalyzer(),
    createDotnetDepsAnalyzer(),
    createJarAnalyzer(),
    createGoBinaryAnalyzer(),
    createRustBinaryAnalyzer(),
  ];
}
