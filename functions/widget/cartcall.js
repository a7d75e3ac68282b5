/* CartCall storefront widget: placeholder so the app builds; the widget branch replaces this file with cartcall.js. */
