import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for every operation of SPEC §6, from operations/*.graphql
 * against the committed schema.graphql. The tests send these same documents.
 * Run by `npm run generate` (after `prisma generate`).
 */
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['operations/**/*.graphql'],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'src/generated/operations/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { Date: 'string', DateTime: 'string', ID: 'string' },
      },
    },
  },
};

export default config;
