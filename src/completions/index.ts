import { defineModule } from '../core/module.js';
import './complete.js';
import './completion.js';

/** Completions: the results of training, with their expiry. */
export const completions = defineModule({ name: 'completions' });
