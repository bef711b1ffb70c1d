// The tool's version, as recorded in results files and the environment block: @tfbench/core's package version.
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
export const TOOL_VERSION: string = pkg.version;
