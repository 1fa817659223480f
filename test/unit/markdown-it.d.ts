/** The part of markdown-it (a CommonMark + GFM-linkify renderer, the tests' independent oracle) the unit tests use. */
declare module 'markdown-it' {
  interface Options {
    html?: boolean;
    linkify?: boolean;
    typographer?: boolean;
  }
  export default class MarkdownIt {
    constructor(preset?: 'default' | 'commonmark' | 'zero', options?: Options);
    constructor(options?: Options);
    render(src: string): string;
    renderInline(src: string): string;
    enable(rules: string | string[]): this;
  }
}
