// ESLint, type-aware (typescript-eslint), over the TypeScript sources and tests: `npm run lint`,
// also a suite of `npm test`. Only the rules that catch real defects here are on; style is
// tsc's and the code's own. The .mjs scripts and test drivers are plain Node and not type-checked.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'out/**',
      'node_modules/**',
      '.tools/**',
      '.vscode-test/**',
      'bench/results/**',
      'test-results/**',
      'src/core/mastercopy/generated/**',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A promise nobody awaits loses its rejection: await it, handle it, or say `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Type-only imports vanish from the bundle: say so, so that nothing is loaded for a type.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
    },
  },
  {
    // The core is editor-free by rule, not by convention (DESIGN: src/core never imports vscode).
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vscode',
              message:
                'src/core never imports vscode: put editor code in src/vscode and pass what core needs in.',
            },
          ],
        },
      ],
    },
  },
);
