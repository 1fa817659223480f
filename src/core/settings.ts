/**
 * The extension's settings as declared in `package.json` →
 * `contributes.configuration`, the one place that states each key, its
 * default and its description. Code outside VS Code (the CLI, the analysis'
 * own defaults) reads the defaults from here instead of repeating them.
 */
import manifest from '../../package.json';

type Properties = typeof manifest.contributes.configuration.properties;

/** A setting key without the `initlens.` prefix (`analysis.maxFileSize`). */
export type SettingKey = keyof Properties extends infer K ? (K extends `initlens.${infer Key}` ? Key : never) : never;

/** The declared default of `initlens.<key>`. */
export function settingDefault<K extends SettingKey>(key: K): Properties[`initlens.${K}`]['default'] {
  return manifest.contributes.configuration.properties[`initlens.${key}`].default;
}

/** The declared `enum` values of a string setting. */
export function settingEnum<K extends SettingKey>(key: K): readonly string[] {
  const property = manifest.contributes.configuration.properties[`initlens.${key}`];
  return 'enum' in property ? property.enum : [];
}
