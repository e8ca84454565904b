/** The non-owner role every request runs as; RLS policies are written for it. */
export const APP_ROLE = 'training_app';
