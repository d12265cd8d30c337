/**
 * Where the published standards and datasets are: ../shared next to the repository (as on the
 * development machine and CI), or /work/shared when the clone lives elsewhere.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

const beside = path.resolve(import.meta.dirname, '../../../shared');

export const SHARED = existsSync(beside) ? beside : '/work/shared';
export const SDM_DIR = path.join(SHARED, 'standards/smart-data-models');
