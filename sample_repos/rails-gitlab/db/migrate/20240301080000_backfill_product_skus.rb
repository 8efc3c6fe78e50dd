class BackfillProductSkus < ActiveRecord::Migration[7.1]
  def up
    execute "UPDATE products SET sku = 'SKU-' || id WHERE sku IS NULL"
  end
end
