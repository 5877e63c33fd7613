// The schema validator precompiled by scripts/gen-schema-validator.mjs (the .js is generated at build time).
export interface SchemaError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
  propertyName?: string;
  schema?: unknown;
  parentSchema?: Record<string, unknown>;
  data?: unknown;
}
declare const validate: ((data: unknown) => boolean) & { errors?: SchemaError[] | null };
export = validate;
