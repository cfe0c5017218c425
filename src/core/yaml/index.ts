export { parseYamlDocuments, type YamlDocument, type YamlPath, type ParsedYaml } from './documents.js';
export { formatDiagnostic, hasErrors, type Diagnostic } from './diagnostic.js';
