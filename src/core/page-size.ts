/** Largest page any list returns; a larger `first` is capped to it. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;
