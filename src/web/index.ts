import { defineModule } from '../core/module.js';
import { webRoutes } from './serve.js';

/** The web app (Training Center, Training Analytics) at `/`, and the demo tenant's development routes. */
export const web = defineModule({
  name: 'web',
  routes: ({ services, db }) => webRoutes({ config: services.config, db }),
});
